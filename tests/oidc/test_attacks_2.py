"""More attacks on the provider: redirect-URI spellings, oversized values, sign-out with a
stranger's ID token, two refreshes at once, cross-app tokens, reflected values, rate limits."""

import contextlib
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.integrations.base_client.errors import OAuthError
from django.db import connection
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import get_refresh_token_model

from tests.factories import DEFAULT_PASSWORD, SecurityPolicyFactory, UserFactory
from tests.oidc.conftest import APP_CALLBACK, APP_LOGGED_OUT, register
from tests.oidc.relying_party import Browser, RelyingParty, hidden_inputs

pytestmark = pytest.mark.django_db
AUTHORIZE = reverse("oauth2_provider:authorize")
RefreshToken = get_refresh_token_model()


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_param(url: str, **params) -> str:
    parts = urlsplit(url)
    return parts._replace(query=urlencode({**query(url), **params})).geturl()


def signed_in(user=None) -> Browser:
    browser = Browser()
    browser.sign_in((user or UserFactory()).email, DEFAULT_PASSWORD)
    return browser


def tokens_for(rp: RelyingParty, user) -> dict:
    browser = signed_in(user)
    page, left = browser.go(rp.authorization_url())
    if left is None:
        _, left = browser.go(
            AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"}
        )
    return rp.fetch_token(left)


# --- redirect URIs spelled almost like the registered one -----------------------------------


@pytest.mark.parametrize(
    "stranger",
    [
        "https://wiki.example.org/oidc/callback",  # no trailing slash
        "https://wiki.example.org/OIDC/callback/",
        "https://wiki.example.org/oidc/%63allback/",
        "https://wiki.example.org/oidc/callback/%2e%2e/",
        "https://wiki.example.org/oidc/callback/../evil/",
        "https://wiki.example.org:443/oidc/callback/",
        "https://wiki.example.org./oidc/callback/",
        "https://w\u0456ki.example.org/oidc/callback/",  # a Cyrillic i
        "https://xn--wki-kdd.example.org/oidc/callback/",
        "https://wiki.example.org\\@evil.example/oidc/callback/",
        "https://wiki.example.org%2F@evil.example/oidc/callback/",
        "https://evil.example#@wiki.example.org/oidc/callback/",
        "https://wiki.example.org/oidc/callback/?",
        " https://wiki.example.org/oidc/callback/",
        "https://wiki.example.org/oidc/callback/\t",
    ],
)
def test_near_spellings_of_the_redirect_uri_are_refused(wiki, stranger):
    page, left = signed_in().go(with_param(wiki.authorization_url(), redirect_uri=stranger))
    assert left is None and page.status_code == 400
    anonymous = Browser()
    page, left = anonymous.go(with_param(wiki.authorization_url(), redirect_uri=stranger))
    assert left is None and page.status_code == 400
    login = anonymous.client.get(reverse("accounts:login"), secure=True)
    assert login["Content-Security-Policy"].count("form-action 'self';") == 1


@pytest.mark.parametrize(
    "stranger",
    [
        "http://localhost:5000/callback",
        "http://127.0.0.1:5000@evil.example/callback",
        "http://127.0.0.1.evil.example:5000/callback",
        "https://127.0.0.1:5000/callback",
        "http://[::1]:5000/callback",
        "http://127.0.0.1:abc/callback",
        "http://127.0.0.1:5000/callback/",
        "http://127.0.0.2:5000/callback",
    ],
)
def test_a_loopback_uri_varies_its_port_and_nothing_else(stranger):
    app, _ = register("CLI", public=True, redirect_uri="http://127.0.0.1/callback")
    rp = RelyingParty(app.client_id, None, "http://127.0.0.1/callback")
    for browser in (signed_in(), Browser()):
        page, left = browser.go(with_param(rp.authorization_url(), redirect_uri=stranger))
        assert left is None and page.status_code == 400, (stranger, page.status_code)
    login = browser.client.get(reverse("accounts:login"), secure=True)
    assert login["Content-Security-Policy"].count("form-action 'self';") == 1


# --- values bigger than the columns that keep them ------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"nonce": "n" * 300},
        {"state": "s" * 4000},
        {"code_challenge": "c" * 200},
        {"claims": "not json"},
        {"claims": '{"userinfo": []}'},
        {"scope": "openid " + "x" * 5000},
        {"prompt": "none login consent"},
        {"max_age": "-1"},
        {"response_mode": "fragment"},
        {"request": "eyJhbGciOiJub25lIn0.e30."},
    ],
)
def test_odd_or_oversized_parameters_never_make_a_server_error(wiki, params):
    """Grant.nonce is 255 characters and code_challenge 128: PostgreSQL refuses more (500)."""
    browser = signed_in()
    page, left = browser.go(with_param(wiki.authorization_url(), **params))
    wiki.state = params.get("state", wiki.state)
    assert page is None or page.status_code < 500, page.content[:300]
    if left is None and page.status_code == 200:
        _, left = browser.go(
            AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"}
        )
    if left is not None and "code" in query(left) and "code_challenge" not in params:
        assert wiki.fetch_token(left)["id_token"]


# --- sign-out with an ID token that is not the browser's ------------------------------------


def test_a_strangers_id_token_at_sign_out_does_not_end_their_app_tokens(wiki):
    """Anyone holding Bob's ID token (a hint, sent in URLs) must not end Bob's app sessions."""
    bob = UserFactory()
    tokens = tokens_for(wiki, bob)
    end = wiki.discovery["end_session_endpoint"]
    params = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": APP_LOGGED_OUT}
    # A browser with nobody signed in.
    Browser().go(f"{end}?{urlencode(params)}")
    assert wiki.userinfo(tokens["access_token"]).status_code == 200
    # Alice's browser, confirming the sign-out page.
    alice = signed_in()
    page, left = alice.go(f"{end}?{urlencode(params)}")
    if left is None and page.status_code == 200:
        alice.go(end, "post", {**hidden_inputs(page.content), "allow": "Logout"})
    assert wiki.userinfo(tokens["access_token"]).status_code == 200
    assert wiki.refresh(tokens["refresh_token"])["access_token"]


def test_sign_out_with_the_users_own_id_token_still_ends_the_apps_tokens(wiki):
    bob = UserFactory()
    browser = signed_in(bob)
    page, left = browser.go(wiki.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    tokens = wiki.fetch_token(left)
    end = wiki.discovery["end_session_endpoint"]
    params = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": APP_LOGGED_OUT}
    _, left = browser.go(f"{end}?{urlencode(params)}")
    assert left.startswith(APP_LOGGED_OUT)
    assert wiki.userinfo(tokens["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        wiki.refresh(tokens["refresh_token"])


def test_a_forged_id_token_hint_is_refused(wiki):
    tokens = tokens_for(wiki, UserFactory())
    head, body, signature = tokens["id_token"].split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    end = wiki.discovery["end_session_endpoint"]
    params = {"id_token_hint": forged, "post_logout_redirect_uri": APP_LOGGED_OUT}
    page, left = Browser().go(f"{end}?{urlencode(params)}")
    assert left is None and page.status_code == 400
    assert wiki.userinfo(tokens["access_token"]).status_code == 200


# --- tokens of one app at another -----------------------------------------------------------


def test_one_apps_refresh_token_is_useless_to_another_app(wiki):
    other_app, other_secret = register("Other app")
    other = RelyingParty(other_app.client_id, other_secret, APP_CALLBACK)
    tokens = tokens_for(wiki, UserFactory())
    with pytest.raises(OAuthError):
        other.refresh(tokens["refresh_token"])
    # Nor can the other app revoke it.
    other.session.post(
        other.discovery["revocation_endpoint"],
        data={"token": tokens["refresh_token"]},
        withhold_token=True,
        auth=(other.client_id, other.secret),
    )
    assert wiki.refresh(tokens["refresh_token"])["access_token"]


# --- PKCE on the consent form of a public app -----------------------------------------------


def test_a_public_apps_consent_form_without_its_code_challenge_gives_no_code():
    app, _ = register("SPA", public=True)
    rp = RelyingParty(app.client_id, None, APP_CALLBACK)
    browser = signed_in()
    page, _ = browser.go(rp.authorization_url())
    data = {**hidden_inputs(page.content), "allow": "Authorize"}
    data.pop("code_challenge", None)
    data.pop("code_challenge_method", None)
    page, left = browser.go(AUTHORIZE, "post", data)
    assert left is None or "code" not in query(left)


# --- the second step and prompt=none --------------------------------------------------------


def test_a_pending_sign_in_gets_no_code_even_with_prompt_none(wiki, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    app, secret = register("Dashboards", trusted=True)
    rp = RelyingParty(app.client_id, secret, APP_CALLBACK)
    member = UserFactory()
    browser = Browser()
    browser.sign_in(member.email, DEFAULT_PASSWORD)  # password only: the second step waits
    for url in (rp.authorization_url(), rp.authorization_url(prompt="none")):
        _, left = browser.go(url)
        assert left is None or "code" not in query(left)


def test_login_hint_tells_nothing_about_who_has_an_account(wiki):
    member = UserFactory()
    answers = []
    for hint in (member.email, "nobody-here@example.com"):
        _, left = Browser().go(wiki.authorization_url(login_hint=hint, prompt="none"))
        page, _ = Browser().go(wiki.authorization_url(login_hint=hint))
        answers.append((query(left)["error"], page.status_code, hint.encode() in page.content))
    assert answers[0] == answers[1] == ("login_required", 200, False)


# --- reflected values -----------------------------------------------------------------------

SCRIPT = '"><script>alert(1)</script>'


def test_state_and_nonce_are_never_reflected_unescaped(wiki):
    browser = signed_in()
    page, _ = browser.go(with_param(wiki.authorization_url(), state=SCRIPT, nonce=SCRIPT))
    assert page.status_code == 200 and SCRIPT.encode() not in page.content
    page, _ = browser.go(with_param(wiki.authorization_url(), state=SCRIPT, client_id="nope"))
    assert page.status_code == 400 and SCRIPT.encode() not in page.content
    page, _ = browser.go(
        with_param(wiki.authorization_url(), state=SCRIPT, redirect_uri="https://evil.example/")
    )
    assert page.status_code == 400 and SCRIPT.encode() not in page.content


def test_an_apps_name_is_text_on_the_consent_page():
    app, secret = register('<img src=x onerror="alert(1)">Wiki')
    rp = RelyingParty(app.client_id, secret, APP_CALLBACK)
    page, _ = signed_in().go(rp.authorization_url())
    assert b"<img src=x" not in page.content and b"&lt;img src=x" in page.content


# --- the token endpoint's limit, from many addresses of one /64 -----------------------------


def test_the_token_endpoint_counts_an_ipv6_64_as_one_client(wiki, settings):
    settings.HYGATE_RATE_LIMIT_RULES = {**settings.HYGATE_RATE_LIMIT_RULES, "oidc_token": "3/m/ip"}
    client = Client()
    answers = [
        client.post(
            "/o/token/",
            {"grant_type": "authorization_code", "code": "guess", "client_id": wiki.client_id},
            secure=True,
            REMOTE_ADDR=f"2001:db8:1:2::{n:x}",
        ).status_code
        for n in range(1, 6)
    ]
    assert answers[3:] == [429, 429]


# --- two refreshes at once with one refresh token (PostgreSQL) ------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_with_one_token_never_give_two_live_chains():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks (PostgreSQL)")
    app, secret = register()
    wiki = RelyingParty(app.client_id, secret, APP_CALLBACK)
    tokens = tokens_for(wiki, UserFactory())
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def refresh(slot: int) -> None:
        from django.db import connections

        rp = RelyingParty(app.client_id, secret, APP_CALLBACK)
        barrier.wait()
        try:
            answers[slot] = rp.refresh(tokens["refresh_token"])
        except OAuthError as error:
            answers[slot] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = [a for a in answers if isinstance(a, dict)]
    live = []
    for answer in got:
        assert answer["access_token"] and answer["refresh_token"]
        with contextlib.suppress(OAuthError):
            live.append(wiki.refresh(answer["refresh_token"]))
    assert len(live) <= 1, answers


@pytest.mark.django_db(transaction=True)
def test_one_code_exchanged_twice_at_once_gives_tokens_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks (PostgreSQL)")
    app, secret = register()
    wiki = RelyingParty(app.client_id, secret, APP_CALLBACK)
    browser = signed_in()
    page, _ = browser.go(wiki.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", {**hidden_inputs(page.content), "allow": "Authorize"})
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def exchange(slot: int) -> None:
        from django.db import connections

        rp = RelyingParty(app.client_id, secret, APP_CALLBACK)
        rp.verifier, rp.state, rp.nonce = wiki.verifier, wiki.state, wiki.nonce
        barrier.wait()
        try:
            answers[slot] = rp.fetch_token(left)
        except Exception as error:  # an OAuthError, or a server error
            answers[slot] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=exchange, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = [a for a in answers if isinstance(a, dict)]
    assert len(got) == 1, answers
    assert all(isinstance(a, OAuthError) for a in answers if not isinstance(a, dict)), answers


# --- the app-settings permission, spent in the admin ----------------------------------------


def test_the_apps_permission_gives_no_more_in_the_admin_than_on_the_settings_page():
    """change_application opens /settings/apps/, which validates and records every change.

    DOT's own admin pages took the same permission and let it do what the settings page
    never does: make an app a client-credentials client acting as any user (tokens that name
    a person who never signed in or consented), set a known secret, an http redirect URI,
    trust; none of it recorded. Hygate's apps are changed on the settings page only.
    """
    from django.contrib.auth.models import Permission

    from audit.models import AuditEvent

    app, _ = register()
    staff = UserFactory(staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="oauth2_provider",
            codename__in=["view_application", "change_application"],
        )
    )
    client = Client()
    client.force_login(staff)
    events = AuditEvent.objects.count()
    change = f"/admin/oauth2_provider/application/{app.pk}/change/"
    client.post(
        change,
        {
            "client_id": app.client_id,
            "user": "",
            "redirect_uris": "http://evil.example/cb",
            "post_logout_redirect_uris": "",
            "allowed_origins": "",
            "client_type": "confidential",
            "authorization_grant_type": "client-credentials",
            "client_secret": "known-secret",
            "hash_client_secret": "on",
            "name": app.name,
            "skip_authorization": "on",
            "algorithm": "RS256",
        },
        secure=True,
    )
    answer = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "openid email"},
        secure=True,
        HTTP_AUTHORIZATION="Basic "
        + __import__("base64").b64encode(f"{app.client_id}:known-secret".encode()).decode(),
    )
    assert answer.status_code != 200, answer.content
    app.refresh_from_db()
    assert app.redirect_uris == APP_CALLBACK and not app.skip_authorization
    assert AuditEvent.objects.count() == events
    assert client.get("/admin/oauth2_provider/application/", secure=True).status_code == 404


# --- prompt=login and max_age: an app asking for a fresh sign-in ----------------------------


def test_an_app_asking_for_a_fresh_sign_in_gets_no_code_from_an_old_session():
    """OpenID Connect Core 3.1.2.1: the OP MUST re-authenticate, or answer login_required."""
    import time

    from accounts.sessions import STARTED_KEY

    app, secret = register("Deploys", trusted=True)
    rp = RelyingParty(app.client_id, secret, APP_CALLBACK)
    browser = signed_in()
    session = browser.client.session
    session[STARTED_KEY] = time.time() - 2 * 3600  # signed in two hours ago
    session.save()
    for extra in ({"prompt": "login"}, {"max_age": "60"}, {"max_age": "0"}):
        _, left = browser.go(rp.authorization_url(**extra))
        assert query(left)["error"] == "login_required" and query(left)["state"] == rp.state
        assert "code" not in query(left)
    # A session young enough for the app's max_age is let through.
    _, left = browser.go(rp.authorization_url(max_age="86400"))
    assert "code" in query(left)
    # Signed out, the sign-in is fresh: it answers prompt=login and max_age, once.
    anonymous = Browser()
    page, _ = anonymous.go(rp.authorization_url(prompt="login", max_age="0"))
    member = UserFactory()
    next_url = query(page.wsgi_request.get_full_path())["next"]
    _, left = anonymous.go(
        reverse("accounts:login"),
        "post",
        {"email": member.email, "password": DEFAULT_PASSWORD, "next": next_url},
    )
    assert left is not None and "code" in query(left)
    claims = rp.verify(rp.fetch_token(left)["id_token"])
    assert claims["auth_time"] >= time.time() - 60


@pytest.mark.parametrize("signed", [True, False])
def test_a_broken_sign_in_link_says_so_and_offers_nothing_to_allow(wiki, signed):
    browser = signed_in() if signed else Browser()
    page, left = browser.go(with_param(wiki.authorization_url(), client_id="nope"))
    assert left is None and page.status_code == 400
    assert b"This sign-in link does not work" in page.content
    assert b'name="allow"' not in page.content and b"Sign in to  with" not in page.content


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": "https://evil.example/"},
        {"post_logout_redirect_uri": "https://evil.example/", "client_id": "nope"},
        {"post_logout_redirect_uri": APP_LOGGED_OUT + "?next=https://evil.example/"},
    ],
)
def test_sign_out_without_an_id_token_never_redirects_to_a_stranger(wiki, params):
    for browser in (signed_in(), Browser()):
        page, left = browser.go(f"{wiki.discovery['end_session_endpoint']}?{urlencode(params)}")
        assert left is None and page.status_code in (200, 400)
        assert "evil.example" not in page.get("Content-Security-Policy", "")


def test_a_refresh_never_widens_the_scopes_granted():
    app, secret = register()
    narrow = RelyingParty(app.client_id, secret, APP_CALLBACK, scope="openid")
    tokens = tokens_for(narrow, UserFactory())
    wide = RelyingParty(app.client_id, secret, APP_CALLBACK, scope="openid email organisations")
    try:
        answer = wide.session.refresh_token(
            wide.discovery["token_endpoint"],
            refresh_token=tokens["refresh_token"],
            scope="openid email organisations",
        )
    except OAuthError:
        return
    assert wide.userinfo(answer["access_token"]).json().keys() == {"sub"}


def test_denying_an_app_whose_redirect_uri_has_a_query_is_never_taken_for_consent():
    """The answer was read as consent when its query held "code=" anywhere (?postcode=1)."""
    from audit.models import AuditEvent

    callback = "https://shop.example.org/oidc/callback/?postcode=1"
    app, secret = register("Shop", redirect_uri=callback)
    rp = RelyingParty(app.client_id, secret, callback)
    member = UserFactory()
    browser = signed_in(member)
    page, _ = browser.go(rp.authorization_url())
    _, left = browser.go(AUTHORIZE, "post", hidden_inputs(page.content))  # Deny
    assert query(left)["error"] == "access_denied" and "code" not in query(left)
    assert not AuditEvent.objects.filter(action="oidc_consent_given").exists()
    assert AuditEvent.objects.filter(action="oidc_consent_denied", target_user=member).exists()
    page, left = browser.go(rp.authorization_url())
    assert left is None and b"Allow" in page.content


def test_a_deactivated_user_gets_nothing_from_a_code_or_an_access_token_issued_before(wiki):
    member = UserFactory()
    tokens = tokens_for(wiki, member)
    browser = signed_in(member)
    _, left = browser.go(wiki.authorization_url())  # consented before: straight to the app
    member.is_active = False
    member.save()
    assert wiki.userinfo(tokens["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        wiki.fetch_token(left)
