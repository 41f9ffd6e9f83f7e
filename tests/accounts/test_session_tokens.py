"""Session keys: fresh and random at every sign-in, dead after sign-out or deactivation."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
SECURITY = reverse("accounts:security")
PASSWORD_AGAIN = reverse("accounts:security_reauthenticate")

pytestmark = pytest.mark.django_db


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sign_in(client: Client, user) -> None:
    response = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/"


def test_signing_in_replaces_the_session_key_with_a_new_random_one(client):
    user = UserFactory()
    session = client.session  # an anonymous session, as a visitor's browser may hold
    session["seen"] = True
    session.save()
    before = session_key(client)

    sign_in(client, user)

    after = session_key(client)
    assert after != before
    # Django's keys: 32 characters from 36, drawn by `secrets` (about 165 bits).
    assert re.fullmatch(r"[a-z0-9]{32}", after)
    other = Client()
    sign_in(other, user)
    assert session_key(other) != after


def test_giving_the_password_again_replaces_the_session_key(client):
    user = UserFactory()
    sign_in(client, user)
    before = session_key(client)

    client.post(PASSWORD_AGAIN, {"password": DEFAULT_PASSWORD, "next": SECURITY})

    assert session_key(client) != before
    assert client.get(SECURITY).status_code == 200


def test_an_old_session_cookie_is_worthless_after_signing_out(client):
    user = UserFactory()
    sign_in(client, user)
    old = session_key(client)

    client.post(LOGOUT)

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    assert replay.get("/")["Location"].startswith(LOGIN)


def test_deactivating_a_user_ends_their_sessions_at_the_next_request(client):
    user = UserFactory()
    sign_in(client, user)
    assert client.get("/").status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert client.get("/")["Location"].startswith(LOGIN)
    assert client.get(SECURITY)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("path", ["/", "/accounts/security/", "/orgs/", "/settings/audit/"])
def test_every_signed_in_page_offers_a_sign_out_button(client, path):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get(path).content.decode()
    assert f'action="{LOGOUT}"' in page
    assert "Sign out" in page
