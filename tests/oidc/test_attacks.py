"""Attacks on the provider: strangers' redirect URIs, open redirects, swapped codes and clients."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.integrations.base_client.errors import OAuthError
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.oidc.conftest import APP_CALLBACK, APP_LOGGED_OUT, register
from tests.oidc.relying_party import Browser, RelyingParty, hidden_inputs

pytestmark = pytest.mark.django_db
AUTHORIZE = reverse("oauth2_provider:authorize")
EVIL = "https://evil.example/steal"


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def signed_in(user=None) -> Browser:
    browser = Browser()
    browser.sign_in((user or UserFactory()).email, DEFAULT_PASSWORD)
    return browser


def with_param(url: str, **params) -> str:
    parts = urlsplit(url)
    merged = {**query(url), **params}
    return parts._replace(query=urlencode(merged)).geturl()


@pytest.mark.parametrize(
    "stranger",
    [
        EVIL,
        APP_CALLBACK + "extra",
        APP_CALLBACK + "?next=https://evil.example/",
        "https://wiki.example.org.evil.example/oidc/callback/",
        "https://user@wiki.example.org/oidc/callback/",
        APP_CALLBACK.replace("https", "http"),
        APP_CALLBACK + "#frag",
    ],
)
def test_a_strangers_redirect_uri_is_never_redirected_to(wiki, stranger):
    browser = signed_in()
    page, left = browser.go(with_param(wiki.authorization_url(), redirect_uri=stranger))
    assert left is None and page.status_code == 400
    # Not signed in either: no redirect to the sign-in that would end at the stranger.
    anonymous = Browser()
    page, left = anonymous.go(with_param(wiki.authorization_url(), redirect_uri=stranger))
    assert left is None and page.status_code == 400
    assert "evil.example" not in page.get("Content-Security-Policy", "")


def test_a_strangers_origin_never_enters_the_form_action(wiki):
    anonymous = Browser()
    anonymous.go(with_param(wiki.authorization_url(), redirect_uri=EVIL))
    page = anonymous.client.get(reverse("accounts:login"), secure=True)
    assert page["Content-Security-Policy"].count("form-action 'self';") == 1


def test_a_loopback_redirect_uri_may_vary_its_port_only():
    app, _ = register("CLI", public=True, redirect_uri="http://127.0.0.1/callback")
    rp = RelyingParty(app.client_id, None, "http://127.0.0.1:53127/callback")
    browser = signed_in()
    page, left = browser.go(rp.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    assert left.startswith("http://127.0.0.1:53127/callback?")
    other_path = RelyingParty(app.client_id, None, "http://127.0.0.1:53127/other")
    page, left = browser.go(other_path.authorization_url())
    assert left is None and page.status_code == 400


def test_one_apps_code_cannot_be_exchanged_by_another_app(wiki):
    other_app, other_secret = register("Other app")
    other = RelyingParty(other_app.client_id, other_secret, APP_CALLBACK)
    browser = signed_in()
    page, _ = browser.go(wiki.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    other.verifier, other.state = wiki.verifier, wiki.state
    with pytest.raises(OAuthError) as refused:
        other.fetch_token(left)
    assert refused.value.error == "invalid_grant"
    # And the rightful app still can.
    assert wiki.fetch_token(left)["access_token"]


def test_a_code_stolen_without_its_verifier_is_useless():
    """Code injection: an attacker holding a public app's code but not the verifier."""
    app, _ = register("SPA", public=True)
    victim = RelyingParty(app.client_id, None, APP_CALLBACK)
    browser = signed_in()
    page, _ = browser.go(victim.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    attacker = RelyingParty(app.client_id, None, APP_CALLBACK)
    attacker.authorization_url()  # the attacker's own verifier
    attacker.state = victim.state
    with pytest.raises(OAuthError):
        attacker.fetch_token(left)


def test_a_wrong_client_secret_gets_nothing(wiki):
    browser = signed_in()
    page, _ = browser.go(wiki.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    liar = RelyingParty(wiki.client_id, "not-the-secret", APP_CALLBACK)
    liar.verifier, liar.state = wiki.verifier, wiki.state
    with pytest.raises(OAuthError) as refused:
        liar.fetch_token(left)
    assert refused.value.error == "invalid_client"


def test_a_consent_form_cannot_be_retargeted_to_a_strangers_uri(wiki):
    browser = signed_in()
    page, _ = browser.go(wiki.authorization_url())
    forged = {**hidden_inputs(page.content), "allow": "Authorize", "redirect_uri": EVIL}
    response, left = browser.go(AUTHORIZE, "post", forged)
    assert left is None and response.status_code == 400


def test_the_consent_page_cannot_be_framed_and_needs_csrf(wiki):
    from django.test import Client

    user = UserFactory()
    browser = signed_in(user)
    page, _ = browser.go(wiki.authorization_url())
    assert page["X-Frame-Options"] == "DENY"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    data = {**hidden_inputs(page.content), "allow": "Authorize"}
    data.pop("csrfmiddlewaretoken")
    assert strict.post(AUTHORIZE, data, secure=True).status_code == 403


@pytest.mark.parametrize("target", [EVIL, APP_LOGGED_OUT + "x", "//evil.example/"])
def test_sign_out_never_redirects_to_an_unregistered_uri(wiki, target):
    user = UserFactory()
    browser = signed_in(user)
    page, _ = browser.go(wiki.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    id_token = wiki.fetch_token(left)["id_token"]
    end = wiki.discovery["end_session_endpoint"]
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": target}
    page, left = browser.go(f"{end}?{urlencode(params)}")
    assert left is None and page.status_code == 400


def test_another_apps_id_token_cannot_name_this_apps_sign_out_uri(wiki):
    other_app, other_secret = register("Other", post_logout=["https://other.example/bye"])
    other = RelyingParty(other_app.client_id, other_secret, APP_CALLBACK)
    user = UserFactory()
    browser = signed_in(user)
    page, _ = browser.go(other.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    id_token = other.fetch_token(left)["id_token"]
    end = wiki.discovery["end_session_endpoint"]
    params = {
        "id_token_hint": id_token,
        "client_id": wiki.client_id,
        "post_logout_redirect_uri": APP_LOGGED_OUT,
    }
    page, left = browser.go(f"{end}?{urlencode(params)}")
    assert left is None and page.status_code == 400


def test_an_access_token_of_one_user_shows_only_that_users_claims(wiki):
    alice, bob = UserFactory(), UserFactory()
    tokens = {}
    for person in (alice, bob):
        browser = signed_in(person)
        page, _ = browser.go(wiki.authorization_url())
        _, left = browser.go(
            AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"}
        )
        tokens[person.email] = wiki.fetch_token(left)["access_token"]
    assert wiki.userinfo(tokens[alice.email]).json()["email"] == alice.email
    assert wiki.userinfo(tokens[bob.email]).json()["email"] == bob.email
    assert wiki.userinfo("forged").status_code == 401


def test_the_token_endpoint_is_rate_limited(wiki, settings):
    settings.HYGATE_RATE_LIMIT_RULES = {**settings.HYGATE_RATE_LIMIT_RULES, "oidc_token": "3/m/ip"}
    answers = [
        wiki.session.post(
            wiki.discovery["token_endpoint"],
            data={"grant_type": "authorization_code", "code": "guess"},
            withhold_token=True,
        ).status_code
        for _ in range(5)
    ]
    assert answers[:3] == [400, 400, 400] or all(a in (400, 401) for a in answers[:3])
    assert answers[3:] == [429, 429]


NUL = "\x00"


@pytest.mark.parametrize(
    ("method", "path", "data", "basic"),
    [
        ("get", AUTHORIZE, {"client_id": NUL, "response_type": "code"}, None),
        ("post", AUTHORIZE, {"client_id": NUL, "allow": "Authorize"}, None),
        ("post", "/o/token/", {"grant_type": "authorization_code", "client_id": NUL}, None),
        ("post", "/o/token/", {"grant_type": "authorization_code", "code": "x"}, f"{NUL}:x"),
        ("post", "/o/token/", {"grant_type": "refresh_token", "refresh_token": NUL}, "wiki"),
        ("post", "/o/revoke/", {"token": "x", "client_id": NUL}, None),
        ("get", "/o/logout/", {"client_id": NUL}, None),
    ],
)
@pytest.mark.parametrize("who", ["signed_out", "signed_in"])
def test_a_nul_character_in_a_parameter_is_a_bad_request_on_every_database(
    wiki, client, method, path, data, basic, who
):
    """PostgreSQL refuses text with NUL in a query: the endpoints refuse it first (400)."""
    import base64

    if who == "signed_in":
        client.force_login(UserFactory())
    headers = {}
    if basic:
        pair = f"{wiki.client_id}:{wiki.secret}" if basic == "wiki" else basic
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(pair.encode()).decode()
    response = getattr(client, method)(path, data, secure=True, **headers)
    assert response.status_code == 400, response.content
