"""The signed-in self-service pages as people meet them: errors, one step-up, no extra pages."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.totp_app import app_code, shown_recovery_codes, shown_secret
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, UserFactory
from tests.mailbox import code_in
from twofactor.models import Authenticator

SECURITY = reverse("accounts:security")
PASSWORD = reverse("accounts:security_reauthenticate")
PASSWORD_CHANGE = reverse("accounts:password_change")
EMAIL_CHANGE = reverse("accounts:email_change")
EMAIL_CONFIRM = reverse("accounts:email_change_confirm")
ENROL = reverse("accounts:security_authenticator")
REENROL = reverse("accounts:security_reenrol")
CODES = reverse("accounts:security_recovery_codes")
PROFILE = reverse("accounts:profile")
NEW = "a fresh passphrase for spring"
NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def input_tag(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    return match.group(0) if match else None


def autofocused_fields(html: str) -> list[str]:
    """The form controls that would take focus on load (the error summary aside)."""
    tags = re.findall(r"<[a-z]+[^>]*\bautofocus\b[^>]*>", html)
    return [tag for tag in tags if "error-summary" not in tag]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def step_up(client, next_url=SECURITY, **extra):
    return client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": next_url, **extra})


def prove_inbox(client):
    """Type the code e-mailed before a first app is set up; forget that mail."""
    client.post(REENROL, {"action": "send"})
    code = code_in(mail.outbox[-1])
    assert client.post(REENROL, {"action": "verify", "code": code})["Location"] == ENROL
    mail.outbox.clear()


def assert_gov_uk_errors(response, *fields: str) -> str:
    """The page leads with a summary linking each refused field; focus goes nowhere else."""
    html = response.content.decode()
    assert response.status_code == 400
    assert title(html).startswith("Error: ")
    assert 'class="error-summary" role="alert"' in html
    for field in fields:
        assert f'href="#id_{field}"' in html
    assert autofocused_fields(html) == []
    return html


# Rough edge 1: the success message names the new address.


def test_after_the_code_the_message_names_the_new_address(outbox):
    mia = UserFactory(email="mia@example.com")
    laptop = signed_in(mia)
    step_up(laptop, EMAIL_CHANGE)
    laptop.post(EMAIL_CHANGE, {"email": "mia.new@example.org"})

    done = laptop.post(EMAIL_CONFIRM, {"code": code_in(outbox[-1])}, follow=True)

    html = done.content.decode()
    assert "Your e-mail address is now mia.new@example.org" in html
    assert "is now mia@example.com" not in html


# Rough edge 11: one step-up serves every page for its 5 minutes.


@time_machine.travel(NOON, tick=False)
def test_a_password_change_opens_the_window_so_the_address_change_asks_nothing_more():
    mia = UserFactory()
    laptop = signed_in(mia)
    changed = laptop.post(
        PASSWORD_CHANGE,
        {"current_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert changed["Location"] == SECURITY

    page = laptop.get(EMAIL_CHANGE)
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()


@time_machine.travel(NOON, tick=False)
def test_after_a_step_up_the_password_change_asks_only_for_the_new_password(outbox):
    authenticator = AuthenticatorFactory()
    mia = authenticator.user
    laptop = signed_in(mia)
    assert step_up(laptop, EMAIL_CHANGE, code=app_code(authenticator.get_secret()))["Location"] == (
        EMAIL_CHANGE
    )

    form = laptop.get(PASSWORD_CHANGE).content.decode()
    assert input_tag(form, "current_password") is None
    assert input_tag(form, "code") is None
    assert "confirmed" in form
    changed = laptop.post(PASSWORD_CHANGE, {"new_password1": NEW, "new_password2": NEW})
    assert changed["Location"] == SECURITY
    assert User.objects.get(pk=mia.pk).check_password(NEW)
    # And the window is still open for the address.
    assert laptop.get(EMAIL_CHANGE).status_code == 200


def test_the_window_still_closes_after_five_minutes():
    mia = UserFactory()
    with time_machine.travel(NOON, tick=False) as clock:
        laptop = signed_in(mia)
        step_up(laptop)
        clock.shift(timedelta(minutes=5))
        form = laptop.get(PASSWORD_CHANGE).content.decode()
        assert input_tag(form, "current_password") is not None
        assert laptop.get(EMAIL_CHANGE)["Location"].startswith(PASSWORD)


def test_the_window_opened_by_a_password_change_gets_a_new_session_key():
    laptop = signed_in(UserFactory())
    before = laptop.cookies["sessionid"].value
    laptop.post(
        PASSWORD_CHANGE,
        {"current_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": "x"},
    )
    # ASVS 7.2.4: the key seen before the password was given opens no window.
    assert laptop.cookies["sessionid"].value != before
    thief = Client()
    thief.cookies["sessionid"] = before
    assert thief.get(EMAIL_CHANGE)["Location"].startswith(reverse("accounts:login"))
    assert laptop.get(EMAIL_CHANGE).status_code == 200


# Errors, GOV.UK's way; a mismatch keeps what was right.


def test_a_mismatch_with_the_right_current_password_asks_only_for_the_new_one_again(outbox):
    authenticator = AuthenticatorFactory()
    mia = authenticator.user
    laptop = signed_in(mia)
    with time_machine.travel(NOON, tick=False):
        response = laptop.post(
            PASSWORD_CHANGE,
            {
                "current_password": DEFAULT_PASSWORD,
                "code": app_code(authenticator.get_secret()),
                "new_password1": NEW,
                "new_password2": NEW + "!",
            },
        )
        html = assert_gov_uk_errors(response, "new_password2")
        # The current password and the app's code were right: they are not asked again.
        assert input_tag(html, "current_password") is None
        assert input_tag(html, "code") is None
        assert "value=" not in input_tag(html, "new_password1")
        assert 'id="id_new_password2_error"' in html

        changed = laptop.post(PASSWORD_CHANGE, {"new_password1": NEW, "new_password2": NEW})
    assert changed["Location"] == SECURITY
    assert User.objects.get(pk=mia.pk).check_password(NEW)


def test_a_mismatch_with_a_wrong_current_password_says_both_and_opens_nothing():
    laptop = signed_in(UserFactory())
    response = laptop.post(
        PASSWORD_CHANGE,
        {"current_password": "not mine", "new_password1": NEW, "new_password2": NEW + "!"},
    )
    html = assert_gov_uk_errors(response, "current_password", "new_password2")
    assert "value=" not in input_tag(html, "current_password")
    assert laptop.get(EMAIL_CHANGE)["Location"].startswith(PASSWORD)


def test_a_password_rule_is_said_under_the_new_password():
    laptop = signed_in(UserFactory())
    response = laptop.post(
        PASSWORD_CHANGE,
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    html = assert_gov_uk_errors(response, "new_password1")
    assert 'id="id_new_password1_error"' in html
    assert 'id="id_new_password2_error"' not in html
    assert "too common" in html


@time_machine.travel(NOON, tick=False)
def test_a_wrong_app_code_at_the_step_up_keeps_the_right_password():
    authenticator = AuthenticatorFactory()
    laptop = signed_in(authenticator.user)
    wrong = f"{(int(app_code(authenticator.get_secret())) + 1) % 10**6:06d}"
    response = step_up(laptop, code=wrong)
    html = assert_gov_uk_errors(response, "code")
    assert f'value="{DEFAULT_PASSWORD}"' in input_tag(html, "password")

    refused = laptop.post(PASSWORD, {"password": "not mine", "code": wrong, "next": SECURITY})
    html = assert_gov_uk_errors(refused, "password")
    assert "value=" not in input_tag(html, "password")


def test_the_address_change_and_its_code_show_errors_gov_uk_style(outbox):
    laptop = signed_in(UserFactory(email="mia@example.com"))
    step_up(laptop, EMAIL_CHANGE)
    assert_gov_uk_errors(laptop.post(EMAIL_CHANGE, {"email": "not an address"}), "email")
    laptop.post(EMAIL_CHANGE, {"email": "mia.new@example.org"})
    wrong = f"{(int(code_in(outbox[-1])) + 1) % 10**6:06d}"

    refused = laptop.post(EMAIL_CONFIRM, {"code": wrong}, follow=True)

    # Post/redirect/get: a reload of the page spends no try.
    assert refused.redirect_chain == [(EMAIL_CONFIRM, 303)]
    html = refused.content.decode()
    assert title(html).startswith("Error: ")
    assert 'href="#id_code"' in html and "2 more tries" in html
    assert autofocused_fields(html) == []


def test_the_profile_and_the_step_up_show_errors_gov_uk_style():
    laptop = signed_in(UserFactory())
    assert_gov_uk_errors(laptop.post(PROFILE, {"name": "see www.evil.example"}), "name")
    assert_gov_uk_errors(step_up(laptop, password="not mine"), "password")


# Rough edge 10: the QR code at once.


@time_machine.travel(NOON, tick=False)
def test_the_set_up_button_leads_straight_to_the_qr_code(outbox):
    mia = UserFactory()
    laptop = signed_in(mia)
    security = laptop.get(SECURITY).content.decode()
    button = re.search(rf'<form method="post" action="{ENROL}".*?</form>', security, re.S)
    assert button and 'name="action" value="start"' in button.group(0)

    # Without a recent step-up, the button leads through it (and the inbox's code) ...
    assert laptop.post(ENROL, {"action": "start"})["Location"].startswith(PASSWORD)
    step_up(laptop, ENROL)
    prove_inbox(client=laptop)
    # ... and then straight to the key: no "Show the QR code" page between.
    page = laptop.get(ENROL).content.decode()
    assert "Show the QR code" not in page
    assert "<title>QR code for your authenticator app</title>" in page
    secret = shown_secret(page)
    # Opening the page again in this session shows the same key: a GET starts it once.
    assert shown_secret(laptop.get(ENROL).content.decode()) == secret
    assert Authenticator.objects.filter(user=mia).count() == 1

    # With the window open, the button itself shows the key.
    started = laptop.post(ENROL, {"action": "start"}, follow=True)
    assert shown_secret(started.content.decode()) != secret

    # The key works, and a wrong code keeps the same key on the page.
    secret = shown_secret(started.content.decode())
    wrong = f"{(int(app_code(secret)) + 1) % 10**6:06d}"
    refused = laptop.post(ENROL, {"action": "confirm", "code": wrong})
    assert shown_secret(assert_gov_uk_errors(refused, "code")) == secret
    done = laptop.post(ENROL, {"action": "confirm", "code": app_code(secret)})
    assert len(shown_recovery_codes(done.content.decode())) == 10


def test_a_key_started_in_another_session_is_never_shown_here(outbox):
    mia = UserFactory()
    with time_machine.travel(NOON, tick=False) as clock:
        other = signed_in(mia)
        step_up(other, ENROL)
        prove_inbox(other)
        theirs = shown_secret(other.get(ENROL).content.decode())

        clock.shift(timedelta(seconds=61))  # the inbox's codes are paced
        laptop = signed_in(mia)
        step_up(laptop, ENROL)
        prove_inbox(laptop)
        mine = shown_secret(laptop.get(ENROL).content.decode())

    assert mine != theirs
    assert Authenticator.objects.filter(user=mia).count() == 1


# Recovery codes: saved with the script's buttons, or by the page's own words.


def test_recovery_codes_are_marked_for_copy_download_and_print():
    authenticator = AuthenticatorFactory()
    laptop = signed_in(authenticator.user)
    step_up(laptop, CODES, code=app_code(authenticator.get_secret()))

    html = laptop.post(CODES).content.decode()

    assert '<ul class="recovery-codes" data-recovery-codes="hygate-recovery-codes.txt">' in html
    assert len(shown_recovery_codes(html)) == 10
    # Without the script, the page says how to keep them.
    assert "password manager" in html and "print" in html.lower()
    # On paper, only the codes: everything else on the page is marked to stay off it.
    main = html.split('<main id="content"', 1)[1]
    assert main.count('class="no-print') >= 2


# The security page and the dashboard: sections with a status, sessions that fit a phone.


def test_the_security_page_shows_each_method_with_its_status_and_one_action():
    newcomer = signed_in(UserFactory(email="mia@example.com"))
    html = newcomer.get(SECURITY).content.decode()
    app = html.split('id="app-title"')[1].split("</section>")[0]
    assert '<span class="badge">Not set up</span>' in app
    assert app.count("<button") == 1 and "Set up an authenticator app" in app
    assert '<span class="badge">Not set up</span>' in html.split('id="codes-title"')[1]

    authenticator = AuthenticatorFactory()
    owner = signed_in(authenticator.user)
    Client().force_login(authenticator.user)  # a second browser
    html = owner.get(SECURITY).content.decode()
    assert '<span class="badge ok">On</span>' in html.split('id="app-title"')[1]
    # Sessions are a list whose rows wrap on a phone, not a table wider than the screen.
    sessions = html.split('id="sessions-title"')[1].split("</section>")[0]
    assert "<table" not in sessions and 'class="item-list"' in sessions
    assert sessions.count("<li>") == 2 and sessions.count("End this session") == 1
    assert '<span class="badge ok">This browser</span>' in sessions
    assert "End all other sessions" in sessions


def test_the_dashboard_says_whether_two_factor_sign_in_is_on():
    assert "Two-factor off" in signed_in(UserFactory()).get("/").content.decode()
    owner = signed_in(AuthenticatorFactory().user)
    assert '<span class="badge ok">Two-factor on</span>' in owner.get("/").content.decode()


def test_a_wrong_inbox_code_before_the_first_app_is_shown_after_a_redirect(outbox):
    laptop = signed_in(UserFactory())
    step_up(laptop, ENROL)
    laptop.post(REENROL, {"action": "send"})
    wrong = f"{(int(code_in(outbox[-1])) + 1) % 10**6:06d}"

    refused = laptop.post(REENROL, {"action": "verify", "code": wrong}, follow=True)

    assert refused.redirect_chain == [(REENROL, 303)]
    html = refused.content.decode()
    assert title(html).startswith("Error: ") and "2 more tries" in html
    assert autofocused_fields(html) == []


def test_the_new_address_code_page_counts_down_to_send_a_new_code(outbox):
    laptop = signed_in(UserFactory())
    step_up(laptop, EMAIL_CHANGE)
    laptop.post(EMAIL_CHANGE, {"email": "mia.new@example.org"})

    html = laptop.get(EMAIL_CONFIRM).content.decode()

    assert 'data-countdown="60" data-countdown-for="resend-button"' in html
    assert '<button type="submit" class="secondary" id="resend-button" disabled' in html
