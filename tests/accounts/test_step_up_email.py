"""Under the `email` policy the step-up asks for a fresh e-mailed code, as the sign-in does."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, SecurityPolicyFactory, UserFactory
from tests.mailbox import code_in
from twofactor.models import Authenticator

LOGIN = reverse("accounts:login")
STEP = reverse("accounts:login_2fa")
PASSWORD = reverse("accounts:security_reauthenticate")
ENROL = reverse("accounts:security_authenticator")
REENROL = reverse("accounts:security_reenrol")
PASSWORD_CHANGE = reverse("accounts:password_change")
NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def sign_in_with_inbox(user, outbox) -> Client:
    client = Client()
    assert (
        client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})["Location"] == STEP
    )
    code = code_in(outbox[-1])
    assert client.post(STEP, {"action": "verify", "code": code})["Location"] == "/"
    return client


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_copied_session_and_the_password_cannot_set_up_an_app(outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    owner = UserFactory(email="owner@example.com")
    with time_machine.travel(NOON, tick=False) as clock:
        laptop = sign_in_with_inbox(owner, outbox)
        thief = Client()
        thief.cookies = laptop.cookies  # the session cookie, copied

        # The password alone no longer opens the window for changes.
        page = thief.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})
        assert page.status_code == 400
        assert "Enter the code we e-mailed you" in page.content.decode()
        assert 'autocomplete="one-time-code"' in page.content.decode()
        assert thief.get(ENROL)["Location"].startswith(PASSWORD)

        # A code can be asked for, but it goes to the owner's inbox; guesses fail.
        clock.shift(timedelta(seconds=31))
        before = len(outbox)
        assert thief.post(PASSWORD, {"action": "send", "next": ENROL}).status_code == 302
        [mail] = outbox[before:]
        assert mail.to == ["owner@example.com"]
        guess = {"password": DEFAULT_PASSWORD, "code": wrong(code_in(mail)), "next": ENROL}
        assert thief.post(PASSWORD, guess).status_code == 400
        assert thief.get(ENROL)["Location"].startswith(PASSWORD)
        assert thief.post(ENROL, {"action": "start"})["Location"].startswith(PASSWORD)
    assert not Authenticator.objects.filter(user=owner).exists()


def test_the_owner_steps_up_with_an_inbox_code_and_changes_the_password(outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    owner = UserFactory(email="owner@example.com")
    with time_machine.travel(NOON, tick=False) as clock:
        laptop = sign_in_with_inbox(owner, outbox)
        # The password change sends an e-mail-code user through the step-up first.
        to_step_up = laptop.get(PASSWORD_CHANGE)["Location"]
        assert to_step_up.startswith(PASSWORD)
        page = laptop.get(to_step_up).content.decode()
        assert "E-mail me a code" in page and "owner@example.com" in page

        clock.shift(timedelta(seconds=31))
        laptop.post(PASSWORD, {"action": "send", "next": PASSWORD_CHANGE})
        code = code_in(outbox[-1])
        # A code mailed for a sign-in is not a step-up code, nor the other way round.
        passed = laptop.post(
            PASSWORD, {"password": DEFAULT_PASSWORD, "code": code, "next": PASSWORD_CHANGE}
        )
        assert passed["Location"] == PASSWORD_CHANGE
        # The step-up just proved the inbox: an app can be set up without another code.
        assert laptop.get(ENROL).status_code == 200

        new = "my own fresh passphrase"
        changed = laptop.post(
            PASSWORD_CHANGE,
            {"current_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new},
        )
        assert changed["Location"] == reverse("accounts:security")
    owner.refresh_from_db()
    assert owner.check_password(new)


def test_a_sign_in_code_does_not_pass_the_step_up(outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    owner = UserFactory(email="owner@example.com")
    with time_machine.travel(NOON, tick=False) as clock:
        laptop = sign_in_with_inbox(owner, outbox)
        clock.shift(timedelta(seconds=31))
        laptop.post(PASSWORD, {"action": "send", "next": ENROL})
        # Another sign-in's code, e-mailed to the same inbox, is for that sign-in only.
        Client().post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
        sign_in_code = code_in(outbox[-1])
        refused = laptop.post(
            PASSWORD, {"password": DEFAULT_PASSWORD, "code": sign_in_code, "next": ENROL}
        )
    assert refused.status_code == 400


def test_an_open_window_is_not_kept_open_with_the_password_alone(outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    owner = UserFactory(email="owner@example.com")
    with time_machine.travel(NOON, tick=False) as clock:
        laptop = sign_in_with_inbox(owner, outbox)
        clock.shift(timedelta(seconds=31))
        laptop.post(PASSWORD, {"action": "send", "next": ENROL})
        code = code_in(outbox[-1])
        passed = laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "code": code, "next": ENROL})
        assert passed["Location"] == ENROL
        clock.shift(timedelta(minutes=4))
        again = laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})
        assert again.status_code == 400
        clock.shift(timedelta(minutes=1))
        assert laptop.get(ENROL)["Location"].startswith(PASSWORD)
