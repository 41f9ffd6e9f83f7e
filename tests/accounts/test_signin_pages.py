"""The sign-in family's pages, GOV.UK's way: errors first and focused, never re-posted, honest."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import CodeBudget, EmailCode
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.fakes.resend_api import Failure
from tests.mailbox import code_in, link_in

LOGIN = reverse("accounts:login")
SIGNUP = reverse("accounts:signup")
VERIFY = reverse("accounts:verify")
STEP = reverse("accounts:login_2fa")

pytestmark = pytest.mark.django_db


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def sign_up(client, email: str):
    return client.post(SIGNUP, {"email": email, "password": "a long and unusual passphrase 42"})


def sign_in(client, user):
    return client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    return match.group(0) if match else ""


def autofocused(html: str) -> list[str]:
    """The opening tags that carry autofocus."""
    return re.findall(r"<[a-z]+[^>]*\bautofocus\b[^>]*>", html)


# Item 1: an error summary, "Error:" in the title, focus only where the error is.


def test_the_sign_in_page_focuses_the_address_until_there_is_an_error(client):
    fresh = client.get(LOGIN).content.decode()
    assert "autofocus" in input_tag(fresh, "email")
    assert 'autocomplete="username webauthn"' in input_tag(fresh, "email")

    refused = client.post(LOGIN, {"email": "someone@example.com", "password": "wrong"})
    page = refused.content.decode()
    assert title(page).startswith("Error: ")
    assert autofocused(page) == []  # the script focuses the summary, never a field
    assert re.search(r'<div class="error-summary" role="alert" tabindex="-1"', page)
    assert 'autocomplete="username webauthn"' in input_tag(page, "email")


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        (SIGNUP, {"email": "not an address", "password": "x"}, "email"),
        (reverse("accounts:password_reset"), {"email": "not an address"}, "email"),
    ],
)
def test_a_form_with_errors_leads_with_a_summary_that_links_each_field(client, path, data, field):
    page = client.post(path, data).content.decode()
    assert title(page).startswith("Error: ")
    assert f'href="#id_{field}"' in page
    assert [tag for tag in autofocused(page) if "error-summary" not in tag] == []


def test_a_too_common_password_is_said_under_the_new_password_not_the_confirmation(client, outbox):
    member = UserFactory()
    client.post(reverse("accounts:password_reset"), {"email": member.email})
    form = client.get(link_in(outbox[-1]).removeprefix("https://id.example.test"), follow=True)
    url = form.redirect_chain[-1][0]

    page = client.post(url, {"new_password1": "password", "new_password2": "password"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="id_new_password1_error"' in html
    assert 'id="id_new_password2_error"' not in html
    assert 'href="#id_new_password1"' in html
    assert title(html).startswith("Error: ")
    assert "New password" in html and "New password:" not in html

    mismatch = client.post(url, {"new_password1": "a long passphrase 42", "new_password2": "x"})
    html = mismatch.content.decode()
    assert 'id="id_new_password2_error"' in html
    assert 'id="id_new_password1_error"' not in html


def test_a_mismatch_of_the_new_passwords_keeps_the_current_password(client):
    member = UserFactory()
    client.force_login(member)
    page = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password1": "a long passphrase 42",
            "new_password2": "another long passphrase 43",
        },
    ).content.decode()
    # The current password was checked and was right: it is not asked again (the step-up
    # window opened; tests/accounts/test_self_service_pages.py), and never shown back.
    assert 'name="current_password"' not in page
    assert DEFAULT_PASSWORD not in page
    assert "value=" not in input_tag(page, "new_password1")
    assert "value=" not in input_tag(page, "new_password2")

    client.logout()
    client.force_login(member)
    wrong_current = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": "not my password",
            "new_password1": "a long passphrase 42",
            "new_password2": "a long passphrase 42",
        },
    ).content.decode()
    assert "value=" not in input_tag(wrong_current, "current_password")


# Item 2: post/redirect/get after a wrong code.


def test_a_wrong_sign_up_code_redirects_so_a_reload_spends_nothing(client, outbox):
    sign_up(client, "newcomer@example.com")
    code = code_in(outbox[0])

    refused = client.post(VERIFY, {"code": wrong(code)})
    assert refused.status_code == 303
    assert refused["Location"] == VERIFY
    page = client.get(VERIFY).content.decode()
    assert title(page).startswith("Error: ")
    assert "That code is not right. You have 2 more tries." in page
    assert 'href="#id_code"' in page
    assert 'id="id_code_error"' in page

    reloaded = client.get(VERIFY).content.decode()
    assert "That code is not right" not in reloaded  # said once
    assert EmailCode.objects.get(user__email="newcomer@example.com").failed_attempts == 1
    assert client.post(VERIFY, {"code": code})["Location"] == "/"


def test_a_wrong_second_step_code_redirects_with_its_error(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    sign_in(client, member)

    refused = client.post(STEP, {"action": "verify", "code": wrong(code_in(outbox[0]))})
    assert refused.status_code == 303
    assert refused["Location"] == STEP
    page = client.get(STEP).content.decode()
    assert title(page).startswith("Error: ")
    assert "That code is not right. You have 2 more tries." in page
    assert 'href="#id_code"' in page
    assert "That code is not right" not in client.get(STEP).content.decode()
    assert EmailCode.objects.get(user=member).failed_attempts == 1


def test_an_error_whose_redirect_was_never_followed_is_not_shown_later(client, outbox):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        sign_up(client, "newcomer@example.com")
        client.post(VERIFY, {"code": wrong(code_in(outbox[0]))})  # the 303 is not followed
        traveller.shift(2 * 60)
        page = client.get(VERIFY).content.decode()
    assert "That code is not right" not in page
    assert not title(page).startswith("Error: ")


# Item 3: error pages by audience; a 429 that states one wait.


@pytest.mark.parametrize("path", ["/no-such-page/", "/accounts/password/reset/NA/x/nope/"])
def test_a_missing_page_offers_a_signed_out_visitor_the_sign_in(client, path):
    page = client.get(path)
    assert page.status_code == 404
    html = page.content.decode()
    assert "dashboard" not in html.lower()
    assert f'href="{LOGIN}"' in html

    client.force_login(UserFactory())
    html = client.get(path).content.decode()
    assert "Go to your dashboard" in html


def test_a_refused_form_offers_a_signed_out_visitor_the_way_back_not_the_dashboard():
    visitor = Client(enforce_csrf_checks=True)
    html = visitor.post(LOGIN, {"email": "a@example.com", "password": "x"}).content.decode()
    assert "This form has expired" in html
    assert "dashboard" not in html.lower()


def test_the_429_page_states_the_real_wait_once(client, settings):
    settings.HYGATE_RATE_LIMIT_RULES = {**settings.HYGATE_RATE_LIMIT_RULES, "login": "1/h/ip"}
    with time_machine.travel("2026-11-25 10:15:00+00:00", tick=False):
        client.post(LOGIN, {"email": "a@example.com", "password": "x"})
        refused = client.post(LOGIN, {"email": "a@example.com", "password": "x"})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "2700"
    html = refused.content.decode()
    assert "Too many attempts. Try again in 45 minutes." in html
    assert "a moment" not in html
    assert "dashboard" not in html.lower()


# Item 4, rough edge 6: two tabs, two addresses.


def test_a_code_from_another_tab_names_its_address_and_spends_no_try(client, outbox):
    sign_up(client, "first@example.com")
    first_code = code_in(outbox[0])
    first_page = client.get(VERIFY).content.decode()
    assert 'name="email" value="first@example.com"' in first_page
    sign_up(client, "second@example.com")  # another tab of the same browser

    refused = client.post(VERIFY, {"email": "first@example.com", "code": first_code}, follow=True)
    html = refused.content.decode()
    assert "first@example.com" in html
    assert "second@example.com" in html
    assert "Nothing was counted" in html
    assert EmailCode.objects.get(user__email="second@example.com").failed_attempts == 0
    assert CodeBudget.objects.get(user__email="second@example.com").failures == 0
    assert "_auth_user_id" not in client.session


def test_a_second_step_code_for_another_account_spends_no_try(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    first, second = UserFactory(), UserFactory()
    sign_in(client, first)
    first_code = code_in(outbox[-1])
    assert f'name="email" value="{first.email}"' in client.get(STEP).content.decode()
    sign_in(client, second)

    refused = client.post(
        STEP, {"action": "verify", "email": first.email, "code": first_code}, follow=True
    )
    assert "Nothing was counted" in refused.content.decode()
    assert EmailCode.objects.get(user=second).failed_attempts == 0
    assert "_auth_user_id" not in client.session


# Item 4, rough edge 8: no code was sent, so none is asked for.


def test_after_a_failed_send_the_step_claims_no_code_and_counts_none(client, resend_api):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory(email="member@verified.example")
    resend_api.fail_next(*[Failure(500) for _ in range(3)])
    sign_in(client, member)

    page = client.get(STEP).content.decode()
    assert "We could not send the e-mail" in page
    assert "We e-mailed" not in page
    assert input_tag(page, "code") == ""
    assert "Send a new code" in page

    client.post(STEP, {"action": "verify", "code": "123456"}, follow=True)
    assert CodeBudget.objects.get(user=member).failures == 0
    assert EmailCode.objects.get(user=member).failed_attempts == 0


def test_under_the_hourly_cap_the_step_claims_no_code_and_counts_none(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    for _ in range(5):
        sign_in(Client(), member)
    sent = len(outbox)
    sign_in(client, member)
    assert len(outbox) == sent

    page = client.get(STEP).content.decode()
    assert "Several codes were sent" in page
    assert "use another method" not in page  # this member has no other method
    assert "We e-mailed" not in page
    assert input_tag(page, "code") == ""
    # "Send a new code" waits for the quota, not only for the 30 s between two codes.
    wait = int(re.search(r'data-countdown="(\d+)"', page).group(1))
    assert wait > 30 * 60
    assert re.search(rf"You can ask for a new code in {-(-wait // 60)} minutes\.</p>", page)
    client.post(STEP, {"action": "verify", "code": wrong(code_in(outbox[-1]))}, follow=True)
    assert CodeBudget.objects.get(user=member).failures == 0


# Item 4, rough edge 9: a wrong recovery code keeps the focus on the recovery code.


def test_a_wrong_recovery_code_focuses_its_own_summary(client):
    SecurityPolicyFactory(two_factor_policy="either")
    member = UserFactory()
    AuthenticatorFactory(user=member)
    RecoveryCodeFactory(user=member, code="abcde-fghij")
    sign_in(client, member)

    refused = client.post(STEP, {"action": "recovery", "recovery_code": "zzzzz-zzzzz"})
    assert refused.status_code == 303
    page = client.get(STEP).content.decode()
    assert title(page).startswith("Error: ")
    assert autofocused(page) == []  # the script focuses the summary, never the app's code
    assert re.search(r'<div class="error-summary" role="alert" tabindex="-1"', page)
    assert 'href="#id_recovery_code"' in page
    assert "<details open" in page
    assert "autofocus" not in input_tag(page, "code")

    malformed = client.post(STEP, {"action": "recovery", "recovery_code": "x"}).content.decode()
    assert [t for t in autofocused(malformed) if "error-summary" not in t] == []
    assert "autofocus" not in input_tag(malformed, "code")
    assert 'href="#id_recovery_code"' in malformed


# Item 5: the countdown and code inputs are marked for the enhancement script.


def test_the_code_pages_mark_the_countdown_and_the_code_input(client, outbox):
    sign_up(client, "newcomer@example.com")
    page = client.get(VERIFY).content.decode()
    assert re.search(r'data-countdown="(5\d|60)"', page)
    assert 'data-countdown-for="resend-button"' in page
    assert re.search(r'<button[^>]*id="resend-button"[^>]*disabled', page)
    code = input_tag(page, "code")
    assert 'autocomplete="one-time-code"' in code and 'inputmode="numeric"' in code

    SecurityPolicyFactory(two_factor_policy="email")
    second = Client()
    sign_in(second, UserFactory())
    page = second.get(STEP).content.decode()
    assert re.search(r'data-countdown="(2\d|30)"', page)
    assert re.search(r'<button[^>]*id="resend-button"[^>]*disabled', page)
