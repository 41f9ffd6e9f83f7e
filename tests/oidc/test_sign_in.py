"""An app signs people in with Hygate: the whole authorization-code flow, seen from the app."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from oidc.models import Subject
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.oidc.conftest import APP_CALLBACK
from tests.oidc.relying_party import ISSUER, Browser, hidden_inputs

pytestmark = pytest.mark.django_db


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_discovery_names_every_endpoint_under_the_site_url(wiki):
    data = wiki.discovery
    assert data["issuer"] == ISSUER
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "end_session_endpoint",
    ):
        assert data[name].startswith(ISSUER + "/o/"), name
    assert data["response_types_supported"] == ["code"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"sub", "email", "organisations", "amr", "auth_time"} <= set(data["claims_supported"])


def test_a_member_signs_in_to_the_wiki_consents_once_and_the_wiki_reads_her_claims(wiki):
    member = UserFactory(name="Mia Member")
    MembershipFactory(
        user=member, organisation__slug="acme", organisation__name="Acme", role="admin"
    )
    browser = Browser()

    # Not signed in: Hygate's sign-in, then back to the authorization.
    page, left = browser.go(wiki.authorization_url())
    assert left is None and page.status_code == 200
    assert b'name="password"' in page.content
    page, left = browser.go(
        page.wsgi_request.get_full_path(),
        "post",
        {
            "email": member.email,
            "password": DEFAULT_PASSWORD,
            "next": query(page.wsgi_request.get_full_path())["next"],
        },
    )
    assert left is None
    assert b"Sign in to Team wiki with Hygate?" in page.content
    form_action = page["Content-Security-Policy"]
    assert "form-action 'self' https://wiki.example.org" in form_action

    # She allows it: the wiki gets a code, with its state.
    fields = hidden_inputs(page.content)
    _page, left = browser.go(
        reverse("oauth2_provider:authorize"), "post", {**fields, "allow": "Authorize"}
    )
    assert left.startswith(APP_CALLBACK)
    assert query(left)["state"] == wiki.state

    token = wiki.fetch_token(left)
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] == 600
    assert token["refresh_token"]
    claims = wiki.verify(token["id_token"])
    sub = Subject.objects.get(user=member).value
    assert claims["sub"] == sub != member.email
    assert claims["email"] == member.email and claims["email_verified"] is True
    assert claims["name"] == "Mia Member"
    assert claims["organisations"] == [{"slug": "acme", "name": "Acme", "role": "admin"}]
    assert claims["amr"] == ["pwd"]
    assert (
        abs(
            claims["auth_time"]
            - int(member.__class__.objects.get(pk=member.pk).last_login.timestamp())
        )
        <= 2
    )

    info = wiki.userinfo(token["access_token"]).json()
    assert info == {k: claims[k] for k in info}
    assert set(info) >= {
        "sub",
        "email",
        "email_verified",
        "name",
        "organisations",
        "amr",
        "auth_time",
    }
    assert AuditEvent.objects.filter(action="oidc_consent_given", target_user=member).exists()

    # The next sign-in asks nothing: straight back to the wiki.
    _page, left = browser.go(wiki.authorization_url())
    assert left.startswith(APP_CALLBACK) and "code=" in left
    assert wiki.verify(wiki.fetch_token(left)["id_token"])["sub"] == sub


def test_the_sign_in_and_sign_up_pages_name_the_app_that_sent_the_person(wiki):
    page, left = Browser().go(wiki.authorization_url())
    assert left is None
    assert b"to continue to <strong>Team wiki</strong>" in page.content

    # "Create an account" carries the authorization on, and names the app too.
    next_url = query(page.wsgi_request.get_full_path())["next"]
    page = Browser().client.get(reverse("accounts:signup"), {"next": next_url}, secure=True)
    assert b"to continue to <strong>Team wiki</strong>" in page.content


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "https://evil.example.net/oidc/callback/"},
        {"client_id": "no-such-app"},
        {"client_id": ""},
    ],
    ids=["unregistered redirect URI", "unknown app", "no app"],
)
def test_a_sign_in_link_naming_an_app_it_was_not_registered_for_names_no_app(wiki, change):
    """A link crafted to put a real app's name over a stranger's redirect names nothing."""
    authorize = urlsplit(wiki.authorization_url())
    params = {**query(authorize.geturl()), **change}
    next_url = f"{authorize.path}?{urlencode(params)}"
    for name in ("accounts:login", "accounts:signup"):
        page = Browser().client.get(reverse(name), {"next": next_url}, secure=True)
        assert page.status_code == 200
        assert b"to continue to" not in page.content
        assert b"Team wiki" not in page.content


def test_a_sign_in_page_with_any_other_next_names_no_app(wiki):
    page = Browser().client.get(reverse("accounts:login"), {"next": "/accounts/apps/"}, secure=True)
    assert b"to continue to" not in page.content
