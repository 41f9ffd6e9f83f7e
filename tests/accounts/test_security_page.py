"""A member sets up an authenticator app on the security page, and manages it later."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tests.accounts.totp_app import app_code, shown_recovery_codes, shown_secret
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, UserFactory
from tests.mailbox import code_in, html_of
from twofactor import authenticators, policy, verify
from twofactor.models import Authenticator, RecoveryCode

SECURITY = reverse("accounts:security")
PASSWORD = reverse("accounts:security_reauthenticate")
ENROL = reverse("accounts:security_authenticator")
REMOVE = reverse("accounts:security_remove_authenticator")
CODES = reverse("accounts:security_recovery_codes")
REENROL = reverse("accounts:security_reenrol")
# Mid-step, so a test's few seconds never cross a 30-second boundary.
NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = UserFactory(name="Mia Member")
    client.force_login(user)
    return user


def give_password(client, next_url=SECURITY, password=DEFAULT_PASSWORD, code=""):
    """The step-up: the password and, for a member with an authenticator app, its code."""
    return client.post(PASSWORD, {"password": password, "code": code, "next": next_url})


def prove_inbox(client):
    """Type the code e-mailed before a first app is set up; forget that mail."""
    assert client.get(ENROL)["Location"] == REENROL
    client.post(REENROL, {"action": "send"})
    code = code_in(mail.outbox[-1])
    assert client.post(REENROL, {"action": "verify", "code": code})["Location"] == ENROL
    mail.outbox.clear()


def code_of(authenticator) -> str:
    return app_code(authenticator.get_secret())


def test_the_security_page_is_for_signed_in_people_only(client):
    assert client.get(SECURITY)["Location"] == f"/accounts/login/?next={SECURITY}"
    assert client.get(ENROL)["Location"].startswith("/accounts/login/")
    assert client.post(ENROL, {"action": "start"})["Location"].startswith("/accounts/login/")
    assert not Authenticator.objects.exists()


def test_the_dashboard_leads_to_the_security_page(client, member):
    assert f'href="{SECURITY}"' in client.get("/").content.decode()
    page = client.get(SECURITY).content.decode()
    assert "Not set up" in page
    assert "Set up an authenticator app" in page


@time_machine.travel(NOON, tick=False)
def test_a_member_enrols_an_authenticator_app_and_gets_ten_recovery_codes(client, member, outbox):
    # Any change first asks for the password again, then comes back.
    response = client.get(ENROL)
    assert response["Location"] == f"{PASSWORD}?next={ENROL.replace('/', '%2F')}"
    form = client.get(response["Location"]).content.decode()
    assert 'autocomplete="current-password"' in form
    assert f'name="next" value="{ENROL}"' in form
    assert give_password(client, ENROL)["Location"] == ENROL
    # The first app needs a code from the inbox too (tests/accounts/test_first_factor.py).
    prove_inbox(client)

    # The page shows the key at once (tests/accounts/test_self_service_pages.py).
    response = client.get(ENROL)
    page = response.content.decode()
    secret = shown_secret(page)
    assert len(secret) == 32  # 20 random bytes in base32
    assert "<svg" in page and "<title>QR code for your authenticator app</title>" in page
    uri = f"otpauth://totp/Hygate:{member.email}?secret={secret}&amp;issuer=Hygate"
    assert uri in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert '<label for="id_code">' in page
    # The QR code needs no inline style or script, which the CSP forbids.
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
    assert "style=" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/hygate/hygate.js" defer>']

    # Not active until one code from the app is confirmed.
    assert not Authenticator.objects.filter(user=member, confirmed_at__isnull=False).exists()
    assert "Not set up" in client.get(SECURITY).content.decode()

    response = client.post(ENROL, {"action": "confirm", "code": app_code(secret)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = shown_recovery_codes(page)
    assert len(codes) == len(set(codes)) == 10
    assert "shown only now" in page
    assert Authenticator.objects.filter(user=member, confirmed_at__isnull=False).exists()
    assert RecoveryCode.objects.filter(user=member, used_at=None).count() == 10
    assert "Active since" in client.get(SECURITY).content.decode()
    assert "10 of 10 unused" in client.get(SECURITY).content.decode()

    [notice] = outbox
    assert notice.to == [member.email]
    assert "an authenticator app was added" in notice.subject
    assert "authenticator app was set up" in notice.body
    assert "authenticator app was set up" in html_of(notice)
    assert not any(code in notice.body for code in codes)
    assert secret not in notice.body


@time_machine.travel(NOON, tick=False)
def test_a_wrong_or_malformed_code_does_not_turn_the_app_on(client, member, outbox):
    give_password(client)
    prove_inbox(client)
    client.post(ENROL, {"action": "start"})
    secret = shown_secret(client.get(ENROL).content.decode())
    wrong = f"{(int(app_code(secret)) + 1) % 10**6:06d}"

    refused = client.post(ENROL, {"action": "confirm", "code": wrong})
    assert refused.status_code == 400
    assert "That code is not right" in refused.content.decode()
    letters = client.post(ENROL, {"action": "confirm", "code": "12ab56"})
    assert "Enter the 6-digit code" in letters.content.decode()
    assert Authenticator.objects.get(user=member).confirmed_at is None
    assert not RecoveryCode.objects.exists()
    assert outbox == []

    # Spaces and dashes are fine.
    code = app_code(secret)
    accepted = client.post(ENROL, {"action": "confirm", "code": f" {code[:3]}-{code[3:]} "})
    assert len(shown_recovery_codes(accepted.content.decode())) == 10


@time_machine.travel(NOON, tick=False)
def test_starting_again_replaces_the_unconfirmed_key(client, member):
    give_password(client)
    prove_inbox(client)
    client.post(ENROL, {"action": "start"})
    first = shown_secret(client.get(ENROL).content.decode())
    client.post(ENROL, {"action": "start"})
    second = shown_secret(client.get(ENROL).content.decode())

    assert first != second
    assert Authenticator.objects.filter(user=member).count() == 1
    refused = client.post(ENROL, {"action": "confirm", "code": app_code(first)})
    assert refused.status_code == 400


def test_a_wrong_password_is_refused_and_repeated_guessing_is_limited(client, member):
    response = give_password(client, ENROL, "not my password")
    assert response.status_code == 400
    assert "That password is not right." in response.content.decode()
    assert client.get(ENROL)["Location"].startswith(PASSWORD)

    for _ in range(4):
        give_password(client, ENROL, "not my password")
    limited = give_password(client, ENROL, DEFAULT_PASSWORD)
    assert limited.status_code == 429
    assert "Retry-After" in limited
    assert client.get(ENROL)["Location"].startswith(PASSWORD)


def test_the_password_step_only_leads_back_to_the_security_pages(client, member):
    assert give_password(client, "https://evil.example/")["Location"] == SECURITY
    assert give_password(client, "/admin/")["Location"] == SECURITY


def test_the_password_step_lasts_five_minutes(client, member):
    with time_machine.travel(NOON, tick=False) as traveller:
        give_password(client, ENROL)
        prove_inbox(client)
        assert client.get(ENROL).status_code == 200
        traveller.shift(timedelta(minutes=4, seconds=59))
        assert client.get(ENROL).status_code == 200
        traveller.shift(timedelta(seconds=1))
        assert client.get(ENROL)["Location"].startswith(PASSWORD)
        shown = Authenticator.objects.get().secret
        assert client.post(ENROL, {"action": "start"})["Location"].startswith(PASSWORD)
        assert Authenticator.objects.get().secret == shown  # no new key
        assert policy.active_authenticator(member) is None


def test_the_password_step_belongs_to_one_session(client, member):
    from django.test import Client

    give_password(client, ENROL)
    other = Client()
    other.force_login(member)
    assert other.get(ENROL)["Location"].startswith(PASSWORD)


def test_a_member_removes_the_authenticator_after_confirming(client, outbox):
    authenticator = AuthenticatorFactory()
    member = authenticator.user
    authenticators.regenerate_recovery_codes(member)
    outbox.clear()
    client.force_login(member)

    assert client.get(REMOVE)["Location"].startswith(PASSWORD)
    give_password(client, REMOVE, code=code_of(authenticator))
    page = client.get(REMOVE).content.decode()
    assert "Remove the authenticator app?" in page
    assert Authenticator.objects.filter(user=member).exists()  # a GET removes nothing

    assert client.post(REMOVE)["Location"] == SECURITY
    assert not Authenticator.objects.filter(user=member).exists()
    assert not RecoveryCode.objects.filter(user=member).exists()
    [notice] = outbox
    assert "your authenticator app was removed" in notice.subject
    assert "Not set up" in client.get(SECURITY).content.decode()


def test_new_recovery_codes_replace_the_old_ones(client, outbox):
    authenticator = AuthenticatorFactory()
    member = authenticator.user
    old = authenticators.regenerate_recovery_codes(member)
    outbox.clear()
    client.force_login(member)
    give_password(client, CODES, code=code_of(authenticator))

    assert "You have 10 unused recovery codes" in client.get(CODES).content.decode()
    response = client.post(CODES)
    new = shown_recovery_codes(response.content.decode())

    assert len(new) == 10 and not set(new) & set(old)
    assert verify.use_recovery_code(member, old[0]) is None
    assert verify.use_recovery_code(member, new[0]) == 9
    assert "new recovery codes" in outbox[0].subject


def test_without_an_authenticator_there_is_nothing_to_remove_or_regenerate(client, member):
    give_password(client)
    assert client.get(REMOVE)["Location"] == SECURITY
    assert client.post(CODES)["Location"] == SECURITY
    assert not RecoveryCode.objects.exists()


def test_an_active_authenticator_cannot_be_replaced_by_enrolling_again(client):
    authenticator = AuthenticatorFactory()
    client.force_login(authenticator.user)
    give_password(client, ENROL, code=code_of(authenticator))
    assert client.post(ENROL, {"action": "start"})["Location"] == SECURITY
    assert Authenticator.objects.get().secret == authenticator.secret


def test_every_form_on_the_security_pages_carries_a_csrf_token(client):
    authenticator = AuthenticatorFactory()
    client.force_login(authenticator.user)
    give_password(client, code=code_of(authenticator))
    for url in (PASSWORD, REMOVE, CODES):
        page = client.get(url).content.decode()
        forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
        assert len(forms) >= 2  # the page's own, and "Sign out"
        assert all("csrfmiddlewaretoken" in form for form in forms)
