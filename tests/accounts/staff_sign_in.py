"""Signing in as staff must: the password, then a code from the authenticator app."""

from django.test import Client
from django.urls import reverse

from tests.accounts.totp_app import app_code
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory
from twofactor import totp


def sign_in_with_app(client: Client, user) -> str:
    """Give the user an authenticator app and sign in with it; return the app's secret."""
    secret = totp.new_secret()
    AuthenticatorFactory(user=user, key=secret)
    answer = client.post(
        reverse("accounts:login"), {"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert answer["Location"] == reverse("accounts:login_2fa")
    step = client.post(
        reverse("accounts:login_2fa"), {"action": "verify", "code": app_code(secret)}
    )
    assert step["Location"] == "/"
    return secret
