"""The e-mail-change undo link: what the old inbox alone may take back, and only once."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.accounts.totp_app import app_code
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, RecoveryCodeFactory, UserFactory
from tests.mailbox import code_in, link_in
from twofactor.models import Authenticator, RecoveryCode

CHANGE = reverse("accounts:email_change")
CONFIRM = reverse("accounts:email_change_confirm")
PASSWORD = reverse("accounts:security_reauthenticate")
LOGIN = reverse("accounts:login")
LOGIN_2FA = reverse("accounts:login_2fa")
SITE = "https://id.example.test"

pytestmark = pytest.mark.django_db


def sign_in(user) -> Client:
    client = Client()
    assert (
        client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})["Location"] == "/"
    )
    return client


def move(client: Client, new: str, outbox) -> str:
    """Step up, move the address to `new` with its code; return the undo link's path."""
    client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": CHANGE})
    sent = len(outbox)
    assert client.post(CHANGE, {"email": new})["Location"] == CONFIRM
    assert client.post(CONFIRM, {"code": code_in(outbox[sent])})["Location"] == (
        "/accounts/security/"
    )
    return link_in(outbox[sent + 1]).removeprefix(SITE)


def test_a_used_undo_link_does_not_come_back_when_the_address_moves_again(outbox):
    mia = UserFactory(email="mia@example.com")
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        first_link = move(sign_in(mia), "mia@example.org", outbox)
        assert Client().post(first_link).status_code == 200
        assert User.objects.get(pk=mia.pk).email == "mia@example.com"

        # A day later Mia chooses a password again, then makes the same move on purpose.
        clock.move_to("2026-03-03 09:00:00+00:00")
        mia.refresh_from_db()
        mia.set_password(DEFAULT_PASSWORD)
        mia.save()
        move(sign_in(mia), "mia@example.org", outbox)

        # The first link was used: it must not undo the second move.
        assert Client().get(first_link).status_code == 400
        again = Client().post(first_link)
        assert again.status_code == 400
        assert "no longer works" in again.content.decode()
    assert User.objects.get(pk=mia.pk).email == "mia@example.org"


def test_the_undo_link_keeps_an_authenticator_older_than_the_change(outbox):
    owner = UserFactory(email="owner@example.com")
    app = AuthenticatorFactory(user=owner, confirmed_at=timezone.now() - timedelta(days=30))
    RecoveryCodeFactory(user=owner, code="abcde-fghij")
    # Someone with the password and a code from the app moves the address.
    thief = Client()
    thief.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
    thief.post(LOGIN_2FA, {"action": "recovery", "recovery_code": "abcde-fghij"})
    thief.post(PASSWORD, {"password": DEFAULT_PASSWORD, "code": app_code(app.get_secret())})
    sent = len(outbox)
    thief.post(CHANGE, {"email": "thief@example.org"})
    thief.post(CONFIRM, {"code": code_in(outbox[sent])})
    undo = link_in(outbox[sent + 1]).removeprefix(SITE)
    assert User.objects.get(pk=owner.pk).email == "thief@example.org"

    # Whoever reads the old inbox gets the address back, but not an account without the app.
    page = Client().get(undo).content.decode()
    assert "authenticator app" in page
    assert Client().post(undo).status_code == 200
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"
    assert Authenticator.objects.filter(pk=app.pk, confirmed_at__isnull=False).exists()

    # After choosing a new password, the next sign-in still asks for the app.
    owner.set_password("a new long password 7")
    owner.save()
    answer = Client().post(LOGIN, {"email": owner.email, "password": "a new long password 7"})
    assert answer["Location"] == LOGIN_2FA


def test_the_undo_link_removes_an_authenticator_added_with_the_change(outbox):
    owner = UserFactory(email="owner@example.com")
    thief = sign_in(owner)
    thief.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": CHANGE})
    # The app is set up in the step-up window that authorised the move (the database row
    # stands for what the enrolment pages store).
    AuthenticatorFactory(user=owner)
    RecoveryCodeFactory(user=owner, code="abcde-fghij")
    sent = len(outbox)
    thief.post(CHANGE, {"email": "thief@example.org"})
    thief.post(CONFIRM, {"code": code_in(outbox[sent])})
    undo = link_in(outbox[sent + 1]).removeprefix(SITE)

    assert Client().post(undo).status_code == 200
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"
    assert not Authenticator.objects.filter(user=owner).exists()
    assert not RecoveryCode.objects.filter(user=owner).exists()
    # With a new password, the owner signs in without anyone else's app in the way.
    owner.set_password("a new long password 7")
    owner.save()
    answer = Client().post(LOGIN, {"email": owner.email, "password": "a new long password 7"})
    assert answer["Location"] == "/"
