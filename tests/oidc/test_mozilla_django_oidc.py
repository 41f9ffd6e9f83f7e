"""A small Django app signs its people in with Hygate through mozilla-django-oidc.

The app's views run in-process (the test client is the browser); its back-channel calls
(token, JWKS, userinfo) go over real HTTP to Hygate on the live server, as in production.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from oidc import flows, keys
from oidc.models import Subject
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.urls("tests.oidc.rp_app.urls"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rp_settings(settings, live_server):
    keys.forget()
    callback = f"{live_server.url}/rp/oidc/callback/"
    app, secret = flows.register_app(
        None,
        flows.AppSettings("Django app", [callback], [], public=False, trusted=True),
        by=None,
    )
    hygate = live_server.url
    settings.OIDC_RP_CLIENT_ID = app.client_id
    settings.OIDC_RP_CLIENT_SECRET = secret
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_RP_SCOPES = "openid email profile organisations"
    settings.OIDC_USE_PKCE = True
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{hygate}/o/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{hygate}/o/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{hygate}/o/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{hygate}/o/jwks/"
    settings.OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
    settings.LOGIN_REDIRECT_URL = "/rp/home/"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "tests.oidc.rp_app.auth.HygateBackend",
    ]
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "mozilla_django_oidc"]
    keys.forget()
    return app


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_app_signs_in_the_person_who_signed_in_to_hygate(rp_settings, live_server):
    # The browser talks to the app under the live server's name, as the redirect URI says.
    client = Client(HTTP_HOST=urlsplit(live_server.url).netloc)
    ada = UserFactory(email="ada@example.com")
    client.post(reverse("accounts:login"), {"email": ada.email, "password": DEFAULT_PASSWORD})

    start = client.get("/rp/oidc/authenticate/")
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(f"{live_server.url}/o/authorize/")
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"]

    answer = client.get(path_of(authorize))
    callback = answer["Location"]
    assert callback.startswith(f"{live_server.url}/rp/oidc/callback/?")

    landed = client.get(path_of(callback))
    assert landed.status_code == 302 and landed["Location"] == "/rp/home/"
    assert client.get("/rp/home/").content == b"RP home: ada@example.com"
    assert Subject.objects.filter(user=ada).exists()
