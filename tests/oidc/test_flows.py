"""The flows an app's sign-in takes: newcomers, the second step, denial, PKCE, codes, tokens."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.integrations.base_client.errors import OAuthError
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, SecurityPolicyFactory, UserFactory
from tests.mailbox import code_in
from tests.oidc.conftest import APP_CALLBACK, APP_LOGGED_OUT, register
from tests.oidc.relying_party import Browser, RelyingParty, hidden_inputs

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
LOGIN = reverse("accounts:login")
AUTHORIZE = reverse("oauth2_provider:authorize")


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def signed_in_browser(user) -> Browser:
    browser = Browser()
    browser.sign_in(user.email, DEFAULT_PASSWORD)
    return browser


def consent(browser: Browser, page, allow: bool = True):
    data = hidden_inputs(page.content)
    if allow:
        data["allow"] = "Authorize"
    return browser.go(AUTHORIZE, "post", data)


def sign_in_to(rp: RelyingParty, user, **extra) -> dict:
    """A signed-in user goes through the app's sign-in (consenting); return the tokens."""
    browser = signed_in_browser(user)
    page, left = browser.go(rp.authorization_url(**extra))
    if left is None:
        page, left = consent(browser, page)
    return rp.fetch_token(left)


def test_a_newcomer_signs_up_on_the_way_and_lands_in_the_app(wiki, outbox):
    browser = Browser()
    page, _ = browser.go(wiki.authorization_url())
    next_url = query(page.wsgi_request.get_full_path())["next"]
    assert next_url.startswith(AUTHORIZE)
    signup = reverse("accounts:signup") + "?" + urlencode({"next": next_url})
    assert signup.replace("&", "&amp;").encode() in page.content or b"signup" in page.content

    data = {"email": "nell@example.com", "name": "Nell New", "password": DEFAULT_PASSWORD}
    page, left = browser.go(signup, "post", {**data, "next": next_url})
    assert left is None and b"6-digit code" in page.content
    page, left = browser.go(reverse("accounts:verify"), "post", {"code": code_in(outbox[-1])})
    assert left is None and b"Sign in to Team wiki" in page.content
    _, left = consent(browser, page)

    claims = wiki.verify(wiki.fetch_token(left)["id_token"])
    assert claims["email"] == "nell@example.com" and claims["name"] == "Nell New"
    assert claims["email_verified"] is True
    assert claims["organisations"] == []


def test_under_the_email_policy_the_second_step_comes_first_and_amr_says_so(wiki, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    browser = Browser()
    page, _ = browser.go(wiki.authorization_url())
    next_url = query(page.wsgi_request.get_full_path())["next"]
    page, left = browser.go(
        LOGIN, "post", {"email": member.email, "password": DEFAULT_PASSWORD, "next": next_url}
    )
    assert left is None and b"One more step" in page.content
    # The second-step page may send the browser to the app: its CSP must allow it.
    assert "form-action 'self' https://wiki.example.org" in page["Content-Security-Policy"]
    page, left = browser.go(
        reverse("accounts:login_2fa"), "post", {"action": "verify", "code": code_in(outbox[-1])}
    )
    _, left = consent(browser, page)

    claims = wiki.verify(wiki.fetch_token(left)["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_cancelling_the_second_step_of_an_apps_sign_in_keeps_the_way_to_the_app(wiki, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    browser = Browser()
    page, _ = browser.go(wiki.authorization_url())
    next_url = query(page.wsgi_request.get_full_path())["next"]
    page, _ = browser.go(
        LOGIN, "post", {"email": member.email, "password": DEFAULT_PASSWORD, "next": next_url}
    )
    assert b"to continue to <strong>Team wiki</strong>" in page.content

    page, left = browser.go(reverse("accounts:login_2fa"), "post", {"action": "cancel"})
    assert left is None and b"Sign-in cancelled." in page.content
    assert b"to continue to <strong>Team wiki</strong>" in page.content
    assert query(page.wsgi_request.get_full_path())["next"] == next_url

    page, _ = browser.go(
        LOGIN, "post", {"email": member.email, "password": DEFAULT_PASSWORD, "next": next_url}
    )
    page, left = browser.go(
        reverse("accounts:login_2fa"), "post", {"action": "verify", "code": code_in(outbox[-1])}
    )
    assert left is None and b"Sign in to Team wiki with Hygate?" in page.content


def test_denying_answers_access_denied_with_the_state_and_is_recorded(wiki):
    member = UserFactory()
    browser = signed_in_browser(member)
    page, _ = browser.go(wiki.authorization_url())
    _, left = consent(browser, page, allow=False)
    assert left.startswith(APP_CALLBACK)
    assert query(left) == {"error": "access_denied", "state": wiki.state} | {
        k: v for k, v in query(left).items() if k not in ("error", "state")
    }
    assert "code" not in query(left)
    assert AuditEvent.objects.filter(action="oidc_consent_denied", target_user=member).exists()
    # Asked again next time: a denial is not remembered as consent.
    page, left = browser.go(wiki.authorization_url())
    assert left is None and b"Allow" in page.content


def test_new_scopes_are_asked_for_again(wiki):
    member = UserFactory()
    narrow = RelyingParty(wiki.client_id, wiki.secret, APP_CALLBACK, scope="openid")
    sign_in_to(narrow, member)
    browser = signed_in_browser(member)
    page, left = browser.go(wiki.authorization_url())
    assert left is None and b"See your organisations" in page.content


def test_a_trusted_app_skips_the_consent_page():
    app, secret = register("Dashboards", trusted=True)
    rp = RelyingParty(app.client_id, secret, APP_CALLBACK)
    browser = signed_in_browser(UserFactory())
    _, left = browser.go(rp.authorization_url())
    assert left.startswith(APP_CALLBACK) and "code=" in left


def test_a_public_app_must_use_pkce_and_the_verifier_must_match():
    app, secret = register("Desk app", public=True)
    assert secret is None
    member = UserFactory()
    browser = signed_in_browser(member)

    without = RelyingParty(app.client_id, None, APP_CALLBACK, pkce=False)
    _, left = browser.go(without.authorization_url())
    assert query(left)["error"] == "invalid_request"

    rp = RelyingParty(app.client_id, None, APP_CALLBACK)
    page, _ = browser.go(rp.authorization_url())
    _, left = consent(browser, page)
    real = rp.verifier
    rp.verifier = "x" * 50
    with pytest.raises(OAuthError) as refused:
        rp.fetch_token(left)
    assert refused.value.error == "invalid_grant"
    rp.verifier = real  # the code died with the wrong verifier? It is single-use either way.

    page, left = browser.go(rp.authorization_url())
    token = rp.fetch_token(left)
    assert rp.verify(token["id_token"])["sub"]
    assert token["refresh_token"]


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed in", "signed out"])
@pytest.mark.parametrize("method", ["plain", None], ids=["plain", "no method (plain)"])
def test_plain_pkce_is_refused_before_anyone_signs_in_or_consents(wiki, signed_in, method):
    browser = signed_in_browser(UserFactory()) if signed_in else Browser()
    url = wiki.authorization_url()
    params = {**query(url)}
    params.pop("code_challenge_method")
    if method:
        params["code_challenge_method"] = method
    _, left = browser.go(f"{AUTHORIZE}?{urlencode(params)}")
    assert left is not None and left.startswith(APP_CALLBACK)
    answer = query(left)
    assert answer["error"] == "invalid_request" and answer["state"] == wiki.state
    assert "code" not in answer


def test_a_confidential_app_may_send_pkce_and_then_must_prove_it(wiki):
    member = UserFactory()
    browser = signed_in_browser(member)
    page, _ = browser.go(wiki.authorization_url())
    _, left = consent(browser, page)
    wiki.verifier = "y" * 50
    with pytest.raises(OAuthError):
        wiki.fetch_token(left)


def test_a_code_works_once(wiki):
    member = UserFactory()
    browser = signed_in_browser(member)
    page, _ = browser.go(wiki.authorization_url())
    _, left = consent(browser, page)
    wiki.fetch_token(left)
    with pytest.raises(OAuthError) as again:
        wiki.fetch_token(left)
    assert again.value.error == "invalid_grant"


def test_a_code_exchange_reads_its_code_once_and_never_reloads_the_id_token_it_made(wiki):
    """The token endpoint's cost (bench/oidc.py): the code read once, the tokens it made (the
    ID token, the access token) never read back."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = UserFactory()
    browser = signed_in_browser(member)
    page, _ = browser.go(wiki.authorization_url())
    _, left = consent(browser, page)
    with CaptureQueriesContext(connection) as queries:
        tokens = wiki.fetch_token(left)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len([s for s in selects if 'FROM "oauth2_provider_grant"' in s]) == 1, selects
    assert not [s for s in selects if 'FROM "oauth2_provider_idtoken"' in s], selects
    assert not [s for s in selects if 'FROM "oauth2_provider_accesstoken"' in s], selects
    assert len(selects) <= 5, selects
    assert wiki.verify(tokens["id_token"])["amr"] == ["pwd"]


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_chain(wiki):
    member = UserFactory()
    first = sign_in_to(wiki, member)
    second = wiki.refresh(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    # A refreshed ID token tells the same sign-in.
    assert wiki.verify(second["id_token"], refreshed=True)["amr"] == ["pwd"]

    with pytest.raises(OAuthError) as reused:
        wiki.refresh(first["refresh_token"])
    assert reused.value.error == "invalid_grant"
    # The whole chain is dead: the newest refresh token and its access token too.
    with pytest.raises(OAuthError):
        wiki.refresh(second["refresh_token"])
    assert wiki.userinfo(second["access_token"]).status_code == 401
    assert AuditEvent.objects.filter(
        action="oidc_refresh_token_reused", target_user=member
    ).exists()


def test_the_app_revokes_its_refresh_token(wiki):
    member = UserFactory()
    token = sign_in_to(wiki, member)
    response = wiki.session.revoke_token(
        wiki.discovery["revocation_endpoint"], token["refresh_token"], "refresh_token"
    )
    assert response.status_code == 200
    with pytest.raises(OAuthError):
        wiki.refresh(token["refresh_token"])
    assert wiki.userinfo(token["access_token"]).status_code == 401


def test_the_user_revokes_the_app_on_their_apps_page(wiki, wiki_app):
    member = UserFactory()
    token = sign_in_to(wiki, member)
    browser = signed_in_browser(member)
    page = browser.client.get(reverse("my_apps"), secure=True)
    assert b"Team wiki" in page.content
    # What it may do, in the consent page's words, not the scopes' names.
    assert b"It may see your e-mail address" in page.content
    assert b"email openid" not in page.content
    page = browser.client.post(reverse("revoke_app", args=[wiki_app.pk]), secure=True, follow=True)
    assert b"Team wiki can no longer sign you in without asking." in page.content

    assert wiki.userinfo(token["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        wiki.refresh(token["refresh_token"])
    assert AuditEvent.objects.filter(action="oidc_app_revoked", target_user=member).exists()
    page, left = browser.go(wiki.authorization_url())
    assert left is None and b"Allow" in page.content  # asked again


def test_revoking_a_trusted_app_signs_it_out_and_says_it_will_not_ask(db):
    app, secret = register("Staff handbook", trusted=True)
    handbook = RelyingParty(app.client_id, secret, APP_CALLBACK)
    member = UserFactory()
    token = sign_in_to(handbook, member)
    browser = signed_in_browser(member)
    page = browser.client.post(reverse("revoke_app", args=[app.pk]), secure=True, follow=True)
    assert b"Your site&#x27;s staff trust it, so it can sign you in again" in page.content
    assert handbook.userinfo(token["access_token"]).status_code == 401
    _, left = browser.go(handbook.authorization_url())
    assert left is not None and "code=" in left  # as the page said: not asked


def test_rp_initiated_logout_signs_out_and_returns_to_the_registered_uri(wiki):
    member = UserFactory()
    browser = signed_in_browser(member)
    page, _ = browser.go(wiki.authorization_url())
    _, left = consent(browser, page)
    token = wiki.fetch_token(left)

    end = wiki.discovery["end_session_endpoint"]
    params = {
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": APP_LOGGED_OUT,
        "state": "bye",
    }
    _, left = browser.go(f"{end}?{urlencode(params)}")
    assert left == f"{APP_LOGGED_OUT}?state=bye"
    assert "_auth_user_id" not in browser.client.session
    assert wiki.userinfo(token["access_token"]).status_code == 401


def test_logout_refuses_an_unregistered_post_logout_redirect_uri(wiki):
    member = UserFactory()
    token = sign_in_to(wiki, member)
    browser = signed_in_browser(member)
    end = wiki.discovery["end_session_endpoint"]
    params = {
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": "https://evil.example/",
    }
    page, left = browser.go(f"{end}?{urlencode(params)}")
    assert left is None and page.status_code == 400
    assert "_auth_user_id" in browser.client.session
    assert b"This sign-out link does not work" in page.content
    assert b"You are still signed in" in page.content


def test_a_sign_out_with_nowhere_to_go_back_to_lands_on_the_sign_in_page_saying_so(wiki):
    member = UserFactory()
    browser = signed_in_browser(member)
    page, _ = browser.go(wiki.discovery["end_session_endpoint"])
    page, left = browser.go(
        reverse("oauth2_provider:rp-initiated-logout"),
        "post",
        {**hidden_inputs(page.content), "allow": "Logout"},
    )
    assert left is None and page.wsgi_request.path == LOGIN
    assert b"You have signed out." in page.content
    assert "_auth_user_id" not in browser.client.session

    # Signed out already: the same page, not a bare sign-in page.
    page, left = browser.go(wiki.discovery["end_session_endpoint"])
    assert left is None and page.wsgi_request.path == LOGIN
    assert b"You have signed out." in page.content


def test_a_sign_out_asked_without_a_token_asks_first_and_names_the_app(wiki):
    member = UserFactory()
    browser = signed_in_browser(member)
    end = wiki.discovery["end_session_endpoint"]
    page, left = browser.go(f"{end}?{urlencode({'client_id': wiki.client_id})}")
    assert left is None and page.status_code == 200
    assert b"Team wiki asks Hygate to sign you out as well." in page.content
    assert b"signed you out" not in page.content  # Hygate cannot know that
    assert "_auth_user_id" in browser.client.session


@pytest.mark.parametrize(
    "how",
    ["deactivated", "password_reset", "end_all_sessions"],
)
def test_what_ends_a_users_sessions_ends_their_apps_refresh_tokens(wiki, how):
    from accounts import sessions
    from accounts.flows.password_reset import finish_password_reset

    member = UserFactory()
    token = sign_in_to(wiki, member)
    if how == "deactivated":
        member.is_active = False
        member.save()
    elif how == "password_reset":
        finish_password_reset(None, member)
    else:
        sessions.end_sessions_for_operator(member, via="command")
    assert not RefreshToken.objects.filter(user=member, revoked__isnull=True).exists()
    with pytest.raises(OAuthError):
        wiki.refresh(token["refresh_token"])


def test_prompt_none_answers_the_app_instead_of_showing_a_page(wiki):
    _, left = Browser().go(with_prompt_none(wiki.authorization_url()))
    assert query(left)["error"] == "login_required"
    browser = signed_in_browser(UserFactory())
    _, left = browser.go(with_prompt_none(wiki.authorization_url()))
    assert query(left)["error"] == "consent_required" and query(left)["state"] == wiki.state


def with_prompt_none(url: str) -> str:
    return f"{url}&prompt=none"
