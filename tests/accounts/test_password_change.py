"""A member changes their password: the current one first, then the new one; other sessions end."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User, UserSession
from audit.models import AuditEvent
from tests.accounts.totp_app import app_code
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, UserFactory
from tests.mailbox import besides_new_device

CHANGE = reverse("accounts:password_change")
SECURITY = reverse("accounts:security")
LOGIN = reverse("accounts:login")
NEW = "a fresh passphrase for spring"
NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def sign_in(user, password=DEFAULT_PASSWORD, ip="198.51.100.7") -> Client:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(LOGIN, {"email": user.email, "password": password})
    assert response["Location"] == "/", response.content.decode()
    return client


def signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def change(client, current=DEFAULT_PASSWORD, new=NEW, again=None, **extra):
    data = {"current_password": current, "new_password1": new, "new_password2": again or new}
    return client.post(CHANGE, {**data, **extra})


def test_a_member_changes_the_password_and_only_this_browser_stays_signed_in(outbox):
    mia = UserFactory(email="mia@example.com")
    laptop, phone = sign_in(mia), sign_in(mia, ip="203.0.113.9")

    page = laptop.get(CHANGE).content.decode()
    assert 'autocomplete="current-password"' in page
    assert page.count('autocomplete="new-password"') == 2
    assert '<label for="id_new_password1">' in page and "csrfmiddlewaretoken" in page

    response = change(laptop)
    assert response["Location"] == SECURITY

    assert signed_in(laptop)
    assert not signed_in(phone)
    assert UserSession.objects.filter(user=mia).count() == 1
    assert User.objects.get(pk=mia.pk).check_password(NEW)
    [notice] = besides_new_device(outbox)  # the phone was new to the account
    assert notice.to == ["mia@example.com"]
    assert "your password was changed" in notice.subject
    event = AuditEvent.objects.get(action="password_changed")
    assert (event.actor, event.target_user, event.details["other_sessions_ended"]) == (mia, mia, 1)
    # The new password signs in; the old one no longer does.
    assert sign_in(mia, NEW)
    refused = Client().post(LOGIN, {"email": mia.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 400


def test_a_wrong_current_password_changes_nothing(outbox):
    mia = UserFactory()
    laptop = sign_in(mia)

    response = change(laptop, current="not my password")

    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    assert User.objects.get(pk=mia.pk).check_password(DEFAULT_PASSWORD)
    assert not outbox


def test_the_new_password_must_pass_the_validators_and_match(outbox):
    mia = UserFactory(email="mia@example.com")
    laptop = sign_in(mia)

    short = change(laptop, new="short", again="short")
    assert short.status_code == 400
    assert "too short" in short.content.decode()
    mismatch = change(laptop, new=NEW, again=NEW + "!")
    assert "The two new passwords are not the same." in mismatch.content.decode()
    assert User.objects.get(pk=mia.pk).check_password(DEFAULT_PASSWORD)


def test_guessing_the_current_password_is_limited_like_a_sign_in():
    mia = UserFactory()
    laptop = sign_in(mia)
    for _ in range(5):
        assert change(laptop, current="a wrong guess").status_code == 400

    limited = change(laptop)

    assert limited.status_code == 429
    assert "Retry-After" in limited
    assert User.objects.get(pk=mia.pk).check_password(DEFAULT_PASSWORD)


def test_a_right_current_password_gives_its_count_back():
    mia = UserFactory()
    laptop = sign_in(mia)
    for _ in range(4):
        change(laptop, current="a wrong guess")
    assert change(laptop)["Location"] == SECURITY
    # The sixth try in the window, from a browser whose current password is not yet
    # confirmed: it passes only because the right one was given back.
    phone = sign_in(mia, NEW, ip="203.0.113.9")
    assert change(phone, current=NEW, new="yet another passphrase 9")["Location"] == SECURITY


@time_machine.travel(NOON, tick=False)
def test_with_an_authenticator_the_change_also_needs_its_code(outbox):
    authenticator = AuthenticatorFactory()
    mia = authenticator.user
    laptop = Client()
    laptop.force_login(mia)
    assert 'inputmode="numeric"' in laptop.get(CHANGE).content.decode()

    no_code = change(laptop)
    assert no_code.status_code == 400
    assert "Enter the code your authenticator app shows" in no_code.content.decode()
    right = app_code(authenticator.get_secret())
    wrong = change(laptop, code=f"{(int(right) + 1) % 10**6:06d}")
    assert "That code is not right" in wrong.content.decode()
    assert User.objects.get(pk=mia.pk).check_password(DEFAULT_PASSWORD)

    assert change(laptop, code=app_code(authenticator.get_secret()))["Location"] == SECURITY
    assert User.objects.get(pk=mia.pk).check_password(NEW)


def test_changing_the_password_does_not_restart_the_absolute_lifetime(settings):
    settings.HYGATE_SESSION_MAX_AGE = 30 * 24 * 3600
    mia = UserFactory()
    with time_machine.travel(NOON, tick=False) as clock:
        laptop = sign_in(mia)
        for days in (13, 13, 3):  # used every fortnight, so never idle
            clock.shift(days * 24 * 3600)
            assert signed_in(laptop)
        assert change(laptop)["Location"] == SECURITY
        assert signed_in(laptop)
        clock.shift(2 * 24 * 3600)
        assert not signed_in(laptop)


def test_the_page_is_for_signed_in_people_and_linked_from_dashboard_and_security():
    assert Client().get(CHANGE)["Location"] == f"{LOGIN}?next={CHANGE}"
    laptop = sign_in(UserFactory())
    assert f'href="{CHANGE}"' in laptop.get("/").content.decode()
    assert f'href="{CHANGE}"' in laptop.get(SECURITY).content.decode()
