"""Those who hold the keys use an authenticator app; a reset one is set up again with care."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.staff_sign_in import sign_in_with_app
from tests.accounts.totp_app import app_code, shown_recovery_codes, shown_secret
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, UserFactory
from tests.mailbox import code_in
from twofactor import authenticators
from twofactor.models import Authenticator

LOGIN = reverse("accounts:login")
STEP = reverse("accounts:login_2fa")
ENROL_AT_SIGN_IN = reverse("accounts:login_enrol")
LOGOUT = reverse("accounts:logout")
PASSWORD = reverse("accounts:security_reauthenticate")
SECURITY = reverse("accounts:security")
ENROL = reverse("accounts:security_authenticator")
REENROL = reverse("accounts:security_reenrol")
NOW = "2026-11-25 10:00:10+00:00"

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    return client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_staff_account_is_made_to_enrol_an_app_at_its_next_sign_in(client, settings, outbox):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True  # the site policy stays "off"
    olive = UserFactory(staff=True, email="olive@example.com")

    with time_machine.travel(NOW, tick=False) as clock:
        assert sign_in(client, olive)["Location"] == STEP
        assert client.get(ENROL_AT_SIGN_IN)["Location"] == STEP  # the inbox first
        assert "This site requires an authenticator app" in client.get(STEP).content.decode()
        [mail] = outbox
        assert mail.to == ["olive@example.com"]
        step = client.post(STEP, {"action": "verify", "code": code_in(mail)})
        assert step["Location"] == ENROL_AT_SIGN_IN
        assert not signed_in(client)

        secret = shown_secret(client.get(ENROL_AT_SIGN_IN).content.decode())
        shown = client.post(ENROL_AT_SIGN_IN, {"code": app_code(secret)})
        assert len(shown_recovery_codes(shown.content.decode())) == 10
        assert signed_in(client)
        assert Authenticator.objects.get(user=olive).confirmed_at is not None

        # From then on the app is asked for, not an e-mailed code.
        client.post(LOGOUT)
        clock.shift(60)
        assert sign_in(client, olive)["Location"] == STEP
        assert client.post(STEP, {"action": "verify", "code": app_code(secret)})["Location"] == "/"
        assert len(outbox) == 2  # the enrolment notice; no second code


def test_members_are_not_held_to_it(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    assert sign_in(client, UserFactory())["Location"] == "/"


def test_settings_security_says_whether_staff_must_use_an_app(client, settings):
    sign_in_with_app(client, UserFactory(staff=True, is_superuser=True))
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    assert (
        "Staff always use an authenticator app"
        in client.get("/settings/security/").content.decode()
    )
    settings.HYGATE_STAFF_REQUIRE_TOTP = False
    page = client.get("/settings/security/").content.decode()
    assert "Staff are held to the policy above like everyone else" in page


def test_after_a_staff_reset_setting_up_an_app_needs_the_password_and_an_emailed_code(
    client, outbox
):
    mia = AuthenticatorFactory(user=UserFactory(email="mia@example.com")).user
    authenticators.staff_reset(mia, UserFactory(staff=True))
    assert User.objects.get(pk=mia.pk).two_factor_reset_at is not None
    outbox.clear()
    client.force_login(mia)

    with time_machine.travel(NOW, tick=False):
        assert client.get(ENROL)["Location"].startswith(PASSWORD)
        client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})
        assert client.get(ENROL)["Location"] == REENROL
        assert client.post(ENROL, {"action": "start"})["Location"] == REENROL
        assert not Authenticator.objects.filter(user=mia).exists()  # no key was made

        page = client.get(REENROL).content.decode()
        assert "An administrator reset two-factor sign-in" in page
        assert not outbox  # opening the page sends nothing
        assert client.post(REENROL, {"action": "send"})["Location"] == REENROL
        [mail] = outbox
        assert mail.to == ["mia@example.com"]
        code = code_in(mail)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        refused = client.post(REENROL, {"action": "verify", "code": wrong}, follow=True)
        assert "You have 2 more tries" in refused.content.decode()
        assert client.get(ENROL)["Location"] == REENROL

        assert client.post(REENROL, {"action": "verify", "code": code})["Location"] == ENROL
        client.post(ENROL, {"action": "start"})
        secret = shown_secret(client.get(ENROL).content.decode())
        shown = client.post(ENROL, {"action": "confirm", "code": app_code(secret)})
        assert len(shown_recovery_codes(shown.content.decode())) == 10
    assert User.objects.get(pk=mia.pk).two_factor_reset_at is None


def test_the_emailed_code_belongs_to_the_session_that_asked(client, outbox):
    mia = UserFactory()
    authenticators.staff_reset(mia, UserFactory(staff=True))
    outbox.clear()
    client.force_login(mia)
    client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})
    client.post(REENROL, {"action": "send"})

    other = Client()
    other.force_login(mia)
    other.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})
    assert other.post(REENROL, {"action": "verify", "code": code_in(outbox[0])}).status_code == 200
    assert other.get(ENROL)["Location"] == REENROL


def test_without_a_reset_the_first_app_needs_the_inbox_code_too(client):
    # Issue 15 item 3: a password alone never sets an account's first second factor.
    client.force_login(UserFactory())
    client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})
    assert client.get(ENROL)["Location"] == REENROL
    assert client.get(REENROL).status_code == 200
