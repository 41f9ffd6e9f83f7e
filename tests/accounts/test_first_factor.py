"""The first second factor of an account: the inbox must agree, and its notice can undo it."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from audit.models import AuditEvent
from tests.accounts.totp_app import app_code, shown_secret
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailbox import code_in, html_of
from twofactor.models import Authenticator, RecoveryCode

LOGIN = reverse("accounts:login")
PASSWORD = reverse("accounts:security_reauthenticate")
ENROL = reverse("accounts:security_authenticator")
REENROL = reverse("accounts:security_reenrol")
SITE = "https://id.example.test"
# Mid-step, so a test's few seconds never cross a 30-second boundary.
NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def sign_in(user) -> Client:
    client = Client()
    assert (
        client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})["Location"] == "/"
    )
    return client


def enrol_with_inbox(client: Client, outbox) -> str:
    """Step up, type the e-mailed code, set up an app; return the app's secret."""
    client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})
    assert client.get(ENROL)["Location"] == REENROL
    sent = len(outbox)
    assert client.post(REENROL, {"action": "send"})["Location"] == REENROL
    assert (
        client.post(REENROL, {"action": "verify", "code": code_in(outbox[sent])})["Location"]
        == ENROL
    )
    client.post(ENROL, {"action": "start"})
    secret = shown_secret(client.get(ENROL).content.decode())
    assert client.post(ENROL, {"action": "confirm", "code": app_code(secret)}).status_code == 200
    return secret


def disown_link(notice) -> str:
    match = re.search(rf"{SITE}(/accounts/security/authenticator/undo/\S+/)", notice.body)
    assert match, notice.body
    return match.group(1)


def test_a_password_alone_cannot_set_up_the_first_authenticator(outbox):
    owner = UserFactory(email="owner@example.com")
    thief = sign_in(owner)
    assert thief.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": ENROL})["Location"] == ENROL

    assert thief.get(ENROL)["Location"] == REENROL
    assert thief.post(ENROL, {"action": "start"})["Location"] == REENROL
    page = thief.get(REENROL).content.decode()
    assert "owner@example.com" in page and "administrator reset" not in page
    assert not Authenticator.objects.filter(user=owner).exists()

    # A guessed code does not open the set-up either.
    thief.post(REENROL, {"action": "send"})
    wrong = f"{(int(code_in(outbox[-1])) + 1) % 10**6:06d}"
    assert thief.post(REENROL, {"action": "verify", "code": wrong}, follow=True).status_code == 400
    assert thief.post(ENROL, {"action": "start"})["Location"] == REENROL
    assert not Authenticator.objects.filter(user=owner).exists()


@time_machine.travel(NOON, tick=False)
def test_the_owner_sets_up_an_app_with_the_inbox_code_and_the_notice_can_take_it_back(outbox):
    owner = UserFactory(email="owner@example.com")
    laptop = sign_in(owner)
    enrol_with_inbox(laptop, outbox)
    assert Authenticator.objects.filter(user=owner, confirmed_at__isnull=False).exists()
    notice = outbox[-1]
    assert "an authenticator app was added" in notice.subject
    link = disown_link(notice)
    assert link in html_of(notice)
    assert "7 days" in notice.body
    assert AuditEvent.objects.filter(action="authenticator_added", target_user=owner).exists()

    # A mail scanner's GET changes nothing.
    page = Client().get(link)
    assert page.status_code == 200
    assert "Remove the authenticator app" in page.content.decode()
    assert Authenticator.objects.filter(user=owner).exists()

    done = Client().post(link)
    text = done.content.decode()
    assert done.status_code == 200
    assert "was removed" in text and "reset your password" in text.lower()
    assert not Authenticator.objects.filter(user=owner).exists()
    assert not RecoveryCode.objects.filter(user=owner).exists()
    # Every session ends: the one that set the app up too.
    assert laptop.get("/").status_code == 302
    assert not UserSession.objects.filter(user=owner).exists()
    assert AuditEvent.objects.filter(action="authenticator_disowned", target_user=owner).exists()
    # The password still signs in (the owner knows it), with no app in the way.
    assert sign_in(owner)

    # It works once.
    again = Client().post(link)
    assert again.status_code == 400
    assert "no longer works" in again.content.decode()


def test_the_notice_link_expires_after_seven_days(outbox):
    owner = UserFactory(email="owner@example.com")
    with time_machine.travel(NOON, tick=False) as clock:
        enrol_with_inbox(sign_in(owner), outbox)
        link = disown_link(outbox[-1])
        clock.shift(timedelta(days=7, seconds=1))
        assert Client().get(link).status_code == 400
        assert Client().post(link).status_code == 400
    assert Authenticator.objects.filter(user=owner).exists()


def test_a_forged_notice_link_does_nothing():
    owner = UserFactory()
    from tests.factories import AuthenticatorFactory

    AuthenticatorFactory(user=owner)
    forged = reverse("accounts:security_authenticator_undo", args=["x" * 43])
    assert Client().post(forged).status_code == 400
    assert Authenticator.objects.filter(user=owner).exists()


def test_a_used_notice_link_never_removes_a_later_app_nor_another_users(outbox):
    owner = UserFactory(email="owner@example.com")
    other = UserFactory(email="other@example.com")
    with time_machine.travel(NOON, tick=False) as clock:
        enrol_with_inbox(sign_in(owner), outbox)
        first_link = disown_link(outbox[-1])
        assert Client().post(first_link).status_code == 200
        clock.shift(timedelta(minutes=2))  # past the code's resend wait
        enrol_with_inbox(sign_in(owner), outbox)  # the owner sets up a new app
        enrol_with_inbox(sign_in(other), outbox)

        assert Client().post(first_link).status_code == 400
    assert Authenticator.objects.filter(user=owner).count() == 1
    assert Authenticator.objects.filter(user=other).count() == 1
