"""Before a change to how they sign in, members prove it is them again: password and app."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.accounts.totp_app import app_code
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, UserFactory
from twofactor import authenticators
from twofactor.models import Authenticator

PASSWORD = reverse("accounts:security_reauthenticate")
SECURITY = reverse("accounts:security")
REMOVE = reverse("accounts:security_remove_authenticator")
EMAIL = reverse("accounts:email_change")
END_OTHERS = reverse("accounts:security_end_other_sessions")
LOGIN = reverse("accounts:login")
STEP = reverse("accounts:login_2fa")
NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def enrolled(client):
    authenticator = AuthenticatorFactory()
    client.force_login(authenticator.user)
    return authenticator


def step_up(client, next_url, password=DEFAULT_PASSWORD, **extra):
    return client.post(PASSWORD, {"password": password, "next": next_url, **extra})


@time_machine.travel(NOON, tick=False)
def test_with_an_authenticator_the_password_alone_is_not_enough(client, enrolled):
    form = client.get(PASSWORD).content.decode()
    assert 'autocomplete="one-time-code"' in form and 'inputmode="numeric"' in form
    assert "Or a recovery code" in form

    alone = step_up(client, REMOVE)
    assert alone.status_code == 400
    assert "Enter the code your authenticator app shows" in alone.content.decode()
    assert client.get(REMOVE)["Location"].startswith(PASSWORD)

    code = app_code(enrolled.get_secret())
    assert step_up(client, REMOVE, code=wrong(code)).status_code == 400
    assert client.get(REMOVE)["Location"].startswith(PASSWORD)
    assert step_up(client, REMOVE, code=code)["Location"] == REMOVE
    assert client.post(REMOVE)["Location"] == SECURITY
    assert not Authenticator.objects.exists()


def test_a_recovery_code_passes_the_step_up_once(client, enrolled, outbox):
    [first, *_] = authenticators.regenerate_recovery_codes(enrolled.user)

    assert step_up(client, REMOVE, recovery_code=first)["Location"] == REMOVE
    other = Client()
    other.force_login(enrolled.user)
    assert step_up(other, REMOVE, recovery_code=first).status_code == 400
    assert "a recovery code was used" in outbox[-1].subject


def test_a_wrong_password_does_not_spend_the_code_budget(client, enrolled):
    code = app_code(enrolled.get_secret())
    step_up(client, REMOVE, password="not mine", code=wrong(code))
    assert not AuditEvent.objects.filter(action="two_factor_failed").exists()


@time_machine.travel(NOON, tick=False)
def test_wrong_codes_at_the_step_up_lock_the_sign_in_second_step_too(client, enrolled, settings):
    settings.HYGATE_RATE_LIMITS = "off"  # the code budget holds even then
    code = app_code(enrolled.get_secret())
    for _ in range(10):
        step_up(client, REMOVE, code=wrong(code))

    locked = step_up(client, REMOVE, code=code)
    assert locked.status_code == 400
    assert "second step is locked for 60 minutes" in locked.content.decode()
    assert client.get(REMOVE)["Location"].startswith(PASSWORD)
    assert AuditEvent.objects.filter(action="two_factor_locked").count() == 1

    browser = Client()
    browser.post(LOGIN, {"email": enrolled.user.email, "password": DEFAULT_PASSWORD})
    refused = browser.post(STEP, {"action": "verify", "code": code}, follow=True)
    assert "locked" in refused.content.decode()
    assert browser.get("/").status_code == 302


def test_changing_the_address_and_ending_sessions_ask_for_the_step_up_first(client):
    client.force_login(UserFactory())
    for url in (EMAIL, END_OTHERS):
        assert client.get(url)["Location"].startswith(PASSWORD)
    assert client.post(EMAIL, {"email": "new@example.com"})["Location"].startswith(PASSWORD)
    assert step_up(client, EMAIL)["Location"] == EMAIL
    assert client.get(EMAIL).status_code == 200
