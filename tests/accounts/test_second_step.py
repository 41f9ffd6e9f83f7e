"""Signing in with a second step: e-mailed codes, authenticator apps and recovery codes."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import EmailCode
from emailing.models import EmailLog
from tests.accounts.totp_app import app_code, shown_recovery_codes, shown_secret
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.fakes.resend_api import Failure
from tests.mailbox import besides_new_device, code_in, html_of, link_in
from twofactor.models import Authenticator

LOGIN = reverse("accounts:login")
STEP = reverse("accounts:login_2fa")
ENROL = reverse("accounts:login_enrol")
LOGOUT = reverse("accounts:logout")
NOW = "2026-11-25 10:00:00+00:00"

pytestmark = pytest.mark.django_db


def sign_in(client, user, **extra):
    return client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD, **extra})


def type_code(client, code, **extra):
    return client.post(STEP, {"action": "verify", "code": code}, **extra)


def refused(client, code) -> str:
    """Type a code that is refused; return the page the browser is sent back to."""
    response = type_code(client, code, follow=True)
    assert response.redirect_chain == [(STEP, 303)]
    return response.content.decode()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_under_the_email_policy_a_member_signs_in_with_an_emailed_code(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory(name="Mia Member")

    response = sign_in(client, member)

    assert response["Location"] == STEP
    assert not signed_in(client)
    [message] = outbox
    assert message.to == [member.email]
    assert "expires in 5 minutes" in message.subject
    assert "expires in 5 minutes" in message.body
    assert "5 minutes" in html_of(message)
    page = client.get(STEP).content.decode()
    assert member.email in page
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert "Use a recovery code" not in page

    landed = client.post(STEP, {"action": "verify", "code": code_in(message)}, follow=True)
    assert landed.redirect_chain == [("/", 302)]
    assert "Mia Member" in landed.content.decode()
    assert signed_in(client)
    assert EmailLog.objects.get().kind == EmailLog.Kind.TWO_FACTOR


def test_under_the_either_policy_a_member_uses_the_app_then_a_recovery_code(client, outbox):
    SecurityPolicyFactory(two_factor_policy="either")
    member = UserFactory()
    authenticator = AuthenticatorFactory(user=member)
    RecoveryCodeFactory(user=member, code="abcde-fghij")

    with time_machine.travel(NOW, tick=False):
        sign_in(client, member)
        assert outbox == []  # the app is the default where there is one: no mail
        page = client.get(STEP).content.decode()
        assert "authenticator app shows" in page
        assert "Use another method: a code by e-mail" in page
        response = type_code(client, app_code(authenticator.get_secret()))
        assert response["Location"] == "/"
        client.post(LOGOUT)

        browser = Client()
        sign_in(browser, member)
        landed = browser.post(
            STEP, {"action": "recovery", "recovery_code": "ABCDE FGHIJ"}, follow=True
        )
        assert landed.redirect_chain == [("/", 302)]
        assert "You signed in with a recovery code. 0 of them are left" in (landed.content.decode())
        [notice] = besides_new_device(outbox)  # this browser is new to the account
        assert "no recovery codes left" in notice.body

        again = Client()
        sign_in(again, member)
        refusal = again.post(
            STEP, {"action": "recovery", "recovery_code": "abcde-fghij"}, follow=True
        )
        assert refusal.redirect_chain == [(STEP, 303)]
        assert "That recovery code is not right, or it was already used." in (
            refusal.content.decode()
        )
        assert not signed_in(again)


def test_under_the_either_policy_the_member_may_switch_to_an_emailed_code(client, outbox):
    SecurityPolicyFactory(two_factor_policy="either")
    member = UserFactory()
    AuthenticatorFactory(user=member)
    sign_in(client, member)

    client.post(STEP, {"action": "switch", "method": "email"})
    [message] = outbox
    assert "We e-mailed a 6-digit code" in client.get(STEP).content.decode()
    assert type_code(client, code_in(message))["Location"] == "/"


def test_a_member_cannot_switch_to_a_method_the_policy_does_not_allow(client, outbox):
    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()
    authenticator = AuthenticatorFactory(user=member)
    sign_in(client, member)

    client.post(STEP, {"action": "switch", "method": "email"})
    assert outbox == []
    with time_machine.travel(NOW, tick=False):
        sign_in(client, member)
        assert type_code(client, app_code(authenticator.get_secret()))["Location"] == "/"


def test_under_the_off_policy_only_those_who_enrolled_are_asked(client):
    plain, careful = UserFactory(), UserFactory()
    authenticator = AuthenticatorFactory(user=careful)

    assert sign_in(client, plain)["Location"] == "/"
    client.post(LOGOUT)
    with time_machine.travel(NOW, tick=False):
        assert sign_in(client, careful)["Location"] == STEP
        assert not signed_in(client)
        assert type_code(client, app_code(authenticator.get_secret()))["Location"] == "/"


def test_under_the_totp_policy_a_member_without_an_app_enrols_before_any_session(client, outbox):
    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()

    with time_machine.travel(NOW, tick=False) as traveller:
        assert sign_in(client, member)["Location"] == STEP
        assert client.get(ENROL)["Location"] == STEP  # the inbox first
        page = client.get(STEP).content.decode()
        assert "This site requires an authenticator app" in page
        assert type_code(client, code_in(outbox[0]))["Location"] == ENROL
        assert not signed_in(client)

        page = client.get(ENROL).content.decode()
        assert "<svg" in page
        assert "otpauth://totp/Hygate:" in page
        secret = shown_secret(page)
        refused = client.post(ENROL, {"code": wrong(app_code(secret))})
        assert refused.status_code == 400
        assert not signed_in(client)

        shown = client.post(ENROL, {"code": app_code(secret)})
        assert shown.status_code == 200
        assert signed_in(client)
        assert len(shown_recovery_codes(shown.content.decode())) == 10
        assert Authenticator.objects.get(user=member).confirmed_at is not None

        client.post(LOGOUT)
        traveller.shift(60)
        assert sign_in(client, member)["Location"] == STEP
        assert type_code(client, app_code(secret))["Location"] == "/"


def test_an_emailed_code_dies_after_three_wrong_tries_and_works_once(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    sign_in(client, member)
    code = code_in(outbox[0])

    assert "That code is not right. You have 2 more tries." in refused(client, wrong(code))
    type_code(client, wrong(code))
    assert "no longer works after too many wrong tries" in refused(client, wrong(code))
    assert "no longer works" in refused(client, code)
    assert not signed_in(client)

    browser = Client()
    sign_in(browser, member)  # a new sign-in, a new code, at once
    fresh = code_in(outbox[-1])
    assert len(outbox) == 2
    assert type_code(browser, fresh)["Location"] == "/"
    assert "already been used" in refused(client, fresh)


def test_an_emailed_code_expires_after_five_minutes(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    with time_machine.travel(NOW, tick=False) as traveller:
        sign_in(client, member)
        traveller.shift(5 * 60 + 1)
        page = refused(client, code_in(outbox[0]))
    assert "That code has expired." in page
    assert not signed_in(client)


def test_a_new_code_waits_thirty_seconds(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    with time_machine.travel(NOW, tick=False) as traveller:
        sign_in(client, member)
        assert "You can ask for a new code in 30 seconds." in client.get(STEP).content.decode()
        client.post(STEP, {"action": "resend"})
        assert len(outbox) == 1
        traveller.shift(31)
        page = client.post(STEP, {"action": "resend"}, follow=True).content.decode()
        assert f"We sent a new code to {member.email}." in page
        assert len(outbox) == 2
        assert type_code(client, code_in(outbox[1]))["Location"] == "/"


def test_ten_wrong_codes_lock_the_second_step_across_codes_and_browsers(outbox, settings):
    settings.HYGATE_RATE_LIMITS = "off"
    SecurityPolicyFactory(two_factor_policy="either")
    member = UserFactory()
    authenticator = AuthenticatorFactory(user=member)

    with time_machine.travel(NOW, tick=False) as traveller:
        pages = []
        for n in range(3):  # e-mailed codes from three browsers, three wrong tries each
            browser = Client(REMOTE_ADDR=f"203.0.113.{n}")
            sign_in(browser, member)
            browser.post(STEP, {"action": "switch", "method": "email"})
            code = code_in(outbox[-1])
            pages += [refused(browser, wrong(code)) for _ in range(3)]
            traveller.shift(31)
        app = Client()
        sign_in(app, member)
        tenth = refused(app, wrong(app_code(authenticator.get_secret())))  # the app's too

        assert "Its second step is locked for 60 minutes" in tenth
        [notice] = [m for m in outbox if "locked" in m.subject]
        assert notice.to == [member.email]

        owner = Client()
        sign_in(owner, member)
        assert "Its second step is locked" in refused(owner, app_code(authenticator.get_secret()))
        assert (
            owner.post(STEP, {"action": "recovery", "recovery_code": "abcde-fghij"}).status_code
            == 303
        )
        assert not signed_in(owner)

        traveller.shift(60 * 60 + 31)
        sign_in(owner, member)
        assert type_code(owner, app_code(authenticator.get_secret()))["Location"] == "/"


def test_an_accepted_app_code_is_refused_the_second_time(client):
    member = UserFactory()
    authenticator = AuthenticatorFactory(user=member)
    with time_machine.travel(NOW, tick=False):
        code = app_code(authenticator.get_secret())
        sign_in(client, member)
        assert type_code(client, code)["Location"] == "/"

        thief = Client()
        sign_in(thief, member)
        replay = refused(thief, code)
    assert "already used" in replay
    assert not signed_in(thief)


def test_one_step_of_clock_drift_passes_and_two_do_not(client):
    member = UserFactory()
    authenticator = AuthenticatorFactory(user=member)
    with time_machine.travel(NOW, tick=False):
        sign_in(client, member)
        assert type_code(client, app_code(authenticator.get_secret(), -2)).status_code == 303
        assert type_code(client, app_code(authenticator.get_secret(), -1))["Location"] == "/"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12ab56", "Enter the 6-digit code."),
        ("", "Enter the 6-digit code."),
        ("1" * 30, "Ensure this value has at most 20 characters"),
        ("１２３４５６", "Enter the 6-digit code."),
    ],
)
def test_malformed_codes_get_a_clear_message_and_cost_nothing(client, outbox, typed, message):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    sign_in(client, member)
    response = type_code(client, typed)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert EmailCode.objects.get(user=member).failed_attempts == 0


def test_codes_typed_with_spaces_and_dashes_pass(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    sign_in(client, member)
    code = code_in(outbox[0])
    assert type_code(client, f" {code[:3]}-{code[3:]} ")["Location"] == "/"


def test_a_provider_outage_never_lets_anyone_through(client, resend_api):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory(email="member@verified.example")
    resend_api.fail_next(*[Failure(500) for _ in range(3)])

    response = sign_in(client, member)
    assert response["Location"] == STEP
    page = client.get(STEP).content.decode()
    assert "We could not send the e-mail" in page
    assert "Send a new code" in page
    for guess in ("000000", "123456", "999999"):
        type_code(client, guess)
    assert not signed_in(client)
    assert client.get("/")["Location"].startswith(LOGIN)

    # Once the provider is back, "Send a new code" works at once.
    client.post(STEP, {"action": "resend"})
    [delivered] = resend_api.delivered
    code = re.search(r"^\s+(\d{6})\s*$", delivered["payload"]["text"], re.MULTILINE).group(1)
    assert type_code(client, code)["Location"] == "/"


def test_an_smtp_server_that_refuses_never_lets_anyone_through(client, settings, hang_up_server):
    SecurityPolicyFactory(two_factor_policy="email")
    settings.EMAIL_PROVIDER = "smtp"
    settings.SMTP_HOST = "127.0.0.1"
    settings.SMTP_PORT = hang_up_server.port
    settings.SMTP_SECURITY = "none"
    settings.SMTP_USERNAME = ""
    member = UserFactory()

    sign_in(client, member)
    assert "We could not send the e-mail" in client.get(STEP).content.decode()
    type_code(client, "123456")
    assert not signed_in(client)


def test_a_password_reset_does_not_skip_the_second_step(client, outbox):
    member = UserFactory()
    authenticator = AuthenticatorFactory(user=member)
    client.post(reverse("accounts:password_reset"), {"email": member.email})
    link = link_in(outbox[-1]).removeprefix("https://id.example.test")
    form = client.get(link, follow=True)
    new = "a brand new passphrase 77"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert not signed_in(client)

    with time_machine.travel(NOW, tick=False):
        response = client.post(LOGIN, {"email": member.email, "password": new})
        assert response["Location"] == STEP
        assert Authenticator.objects.filter(user=member).exists()
        assert type_code(client, app_code(authenticator.get_secret()))["Location"] == "/"


def test_the_step_needs_a_pending_sign_in_and_cancel_ends_it(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()

    lost = client.get(STEP, follow=True)
    assert lost.redirect_chain == [(LOGIN, 302)]
    assert "Please sign in again." in lost.content.decode()

    sign_in(client, member)
    assert client.get("/accounts/password/reset/").status_code == 200  # other pages are fine
    assert client.get(STEP).status_code == 200
    client.post(STEP, {"action": "cancel"})
    assert client.get(STEP)["Location"] == LOGIN
    assert type_code(client, code_in(outbox[0]))["Location"] == LOGIN
    assert not signed_in(client)


def test_the_pending_sign_in_lasts_ten_minutes(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    with time_machine.travel(NOW, tick=False) as traveller:
        sign_in(client, member)
        traveller.shift(4 * 60)
        client.post(STEP, {"action": "resend"})
        traveller.shift(6 * 60 + 1)
        response = type_code(client, code_in(outbox[-1]))
    assert response["Location"] == LOGIN
    assert not signed_in(client)


def test_a_forged_pending_sign_in_goes_back_to_sign_in(client):
    member = UserFactory()
    session = client.session
    for forged in ({"user_id": member.pk}, "junk", {"started_at": 9e18, "user_id": member.pk}):
        session["hygate.pending_sign_in"] = forged
        session.save()
        response = client.get(STEP)
        assert response.status_code == 302
        assert response["Location"] == LOGIN
    assert not signed_in(client)


def test_the_second_step_code_is_kept_out_of_error_reports(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    sign_in(client, UserFactory())
    response = type_code(client, "123456")
    assert {"code", "recovery_code"} <= set(response.wsgi_request.sensitive_post_parameters)


def test_a_newcomer_who_just_confirmed_the_sign_up_code_is_not_asked_for_another(client, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    client.post(
        reverse("accounts:signup"),
        {"email": "new@example.com", "password": "a long and unusual passphrase 42"},
    )
    landed = client.post(reverse("accounts:verify"), {"code": code_in(outbox[0])})
    assert landed["Location"] == "/"
    assert signed_in(client)
    assert len(outbox) == 1


def test_under_the_totp_policy_a_newcomer_goes_from_the_sign_up_code_to_the_app(client, outbox):
    SecurityPolicyFactory(two_factor_policy="totp")
    client.post(
        reverse("accounts:signup"),
        {"email": "new@example.com", "password": "a long and unusual passphrase 42"},
    )
    assert (
        client.post(reverse("accounts:verify"), {"code": code_in(outbox[0])})["Location"] == ENROL
    )
    assert not signed_in(client)
    assert len(outbox) == 1
    secret = shown_secret(client.get(ENROL).content.decode())
    assert client.post(ENROL, {"code": app_code(secret)}).status_code == 200
    assert signed_in(client)
