"""A relying party built on Authlib's OAuth2 client, talking to Hygate through the test client.

Authlib's OAuth2Session is a requests.Session; `DjangoTransport` hands its requests to
Django's test client instead of the network, so every byte of the token requests (client
authentication, PKCE, refresh) is Authlib's own. `Browser` is a person's browser: a test
client that follows Hygate's redirects until one leaves for the app.
"""

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet

ISSUER = settings.HYGATE_SITE_URL
SCOPES = "openid email profile organisations"


class DjangoTransport(requests.adapters.BaseAdapter):
    """Send a requests.PreparedRequest to Hygate through Django's test client."""

    def __init__(self, client: Client | None = None) -> None:
        super().__init__()
        self.client = client or Client()

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in request.headers.items()
            if k.lower() not in ("content-type", "content-length", "host")
        }
        body = request.body or b""
        answer = self.client.generic(
            request.method,
            path,
            data=body,
            content_type=request.headers.get("Content-Type", ""),
            secure=parts.scheme == "https",
            **headers,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers.update(dict(answer.headers.items()))
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def session_for(client_id: str, secret: str | None, redirect_uri: str, **kwargs) -> OAuth2Session:
    kwargs.setdefault("code_challenge_method", "S256")
    session = OAuth2Session(
        client_id,
        secret,
        scope=kwargs.pop("scope", SCOPES),
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        **kwargs,
    )
    session.mount(ISSUER, DjangoTransport())
    return session


@dataclass
class RelyingParty:
    """One app: its registration and the state of one sign-in."""

    client_id: str
    secret: str | None
    redirect_uri: str
    scope: str = SCOPES
    pkce: bool = True
    session: OAuth2Session = field(init=False)
    verifier: str = ""
    nonce: str = ""
    state: str = ""

    def __post_init__(self) -> None:
        kwargs = {} if self.pkce else {"code_challenge_method": None}
        self.session = session_for(
            self.client_id, self.secret, self.redirect_uri, scope=self.scope, **kwargs
        )
        self.discovery = self.session.get(
            f"{ISSUER}/.well-known/openid-configuration", withhold_token=True
        ).json()

    def authorization_url(self, **extra) -> str:
        """Start a sign-in: the URL the app sends the browser to."""
        self.nonce = secrets.token_urlsafe(16)
        self.verifier = generate_token(48) if self.pkce else ""
        pkce = {"code_verifier": self.verifier} if self.pkce else {}
        url, self.state = self.session.create_authorization_url(
            self.discovery["authorization_endpoint"], nonce=self.nonce, **pkce, **extra
        )
        return url

    def fetch_token(self, callback_url: str, **extra) -> dict:
        """Finish a sign-in: exchange the code in the callback URL for tokens."""
        pkce = {"code_verifier": self.verifier} if self.pkce else {}
        return self.session.fetch_token(
            self.discovery["token_endpoint"],
            authorization_response=callback_url,
            state=self.state,
            **pkce,
            **extra,
        )

    def refresh(self, refresh_token: str) -> dict:
        return self.session.refresh_token(
            self.discovery["token_endpoint"], refresh_token=refresh_token
        )

    def userinfo(self, access_token: str) -> requests.Response:
        return self.session.get(
            self.discovery["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            withhold_token=True,
        )

    def verify(self, id_token: str, nonce: str | None = None, refreshed: bool = False) -> dict:
        """Check an ID token as a relying party must: signature by the JWKS, iss, aud, nonce."""
        jwks = KeySet.import_key_set(
            self.session.get(self.discovery["jwks_uri"], withhold_token=True).json()
        )
        token = jwt.decode(id_token, jwks, algorithms=["RS256"])
        # A refreshed ID token carries no nonce (OpenID Connect Core 12.2).
        expected_nonce = (
            {} if refreshed else {"nonce": {"essential": True, "value": nonce or self.nonce}}
        )
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            iat={"essential": True},
            **expected_nonce,
        ).validate(token.claims)
        return dict(token.claims)


class Browser:
    """A person's browser: follows Hygate's redirects, stops where one leaves for an app."""

    def __init__(self, client: Client | None = None) -> None:
        self.client = client or Client()

    def go(self, url: str, method: str = "get", data: dict | None = None):
        """Request url (a full URL or a path); follow redirects while they stay on Hygate.

        Returns (response, url_left_for) where url_left_for is the app URL a redirect
        pointed at, or None if the browser stopped on a Hygate page.
        """
        target, response = url, None
        while True:
            parts = urlsplit(target)
            if parts.netloc and f"{parts.scheme}://{parts.netloc}" != ISSUER:
                return response, target
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            call = getattr(self.client, method)
            response = (
                call(path, data or {}, secure=True) if method == "post" else call(path, secure=True)
            )
            method, data = "get", None
            if response.status_code not in (301, 302, 303):
                return response, None
            target = response["Location"]
            if target.startswith("/"):
                target = ISSUER + target

    def sign_in(self, email: str, password: str) -> None:
        from django.urls import reverse

        self.client.post(
            reverse("accounts:login"), {"email": email, "password": password}, secure=True
        )


def hidden_inputs(html: bytes | str) -> dict[str, str]:
    """The hidden inputs of a page's forms, as a browser would send them."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
                found[attrs["name"]] = attrs.get("value") or ""

    Parser().feed(html.decode() if isinstance(html, bytes) else html)
    return found
