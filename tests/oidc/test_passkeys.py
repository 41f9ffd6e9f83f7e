"""A passkey sign-in tells the app so: `amr` in the ID token and from userinfo alike.

The passkey is added through the real security page and used by the software authenticator
of tests/passkey_authenticator.py; the server checks it with the real `webauthn` library,
and the app is the Authlib relying party of tests/oidc/relying_party.py.
"""

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, SecurityPolicyFactory, UserFactory
from tests.oidc.relying_party import Browser
from tests.oidc.test_flows import consent, query
from tests.passkey_authenticator import SoftAuthenticator
from tests.twofactor.test_passkeys_sign_in import with_passkey

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")
PASSKEY_SIGN_IN = reverse("accounts:passkey_login")
PASSKEY_SIGN_IN_OPTIONS = reverse("accounts:passkey_login_options")
STEP = reverse("accounts:login_2fa")
STEP_PASSKEY = reverse("accounts:passkey_second_step")
STEP_OPTIONS = reverse("accounts:passkey_second_step_options")


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


@pytest.fixture
def member(authenticator):
    user = UserFactory()
    with_passkey(user, authenticator)
    return user


def the_app_learns(rp, left: str) -> tuple[list[str], list[str], list[str]]:
    """The amr of the ID token, of userinfo and of the refreshed ID token."""
    tokens = rp.fetch_token(left)
    from_token = rp.verify(tokens["id_token"])["amr"]
    from_userinfo = rp.userinfo(tokens["access_token"]).json()["amr"]
    refreshed = rp.refresh(tokens["refresh_token"])
    return from_token, from_userinfo, rp.verify(refreshed["id_token"], refreshed=True)["amr"]


@pytest.mark.parametrize("policy", ["off", "email"])
def test_a_passkey_sign_in_on_the_way_to_the_app_says_hwk_mfa(wiki, member, authenticator, policy):
    SecurityPolicyFactory(two_factor_policy=policy)
    browser = Browser()
    page, left = browser.go(wiki.authorization_url())
    assert left is None and b'data-passkey="sign-in"' in page.content
    next_url = query(page.wsgi_request.get_full_path())["next"]

    options, _ = browser.go(PASSKEY_SIGN_IN_OPTIONS, "post")
    answer = authenticator.get(options.content)
    page, left = browser.go(PASSKEY_SIGN_IN, "post", {"credential": answer, "next": next_url})
    assert left is None and b"Sign in to Team wiki" in page.content
    _, left = consent(browser, page)

    assert the_app_learns(wiki, left) == (["hwk", "mfa"],) * 3


def test_a_password_then_a_passkey_as_the_second_step_says_pwd_hwk_mfa(wiki, member, authenticator):
    SecurityPolicyFactory(two_factor_policy="email")
    browser = Browser()
    page, _ = browser.go(wiki.authorization_url())
    next_url = query(page.wsgi_request.get_full_path())["next"]
    page, left = browser.go(
        LOGIN, "post", {"email": member.email, "password": DEFAULT_PASSWORD, "next": next_url}
    )
    assert left is None and b'data-passkey="second-step"' in page.content
    # The second step's passkey form may send the browser to the app: its CSP allows it.
    assert "form-action 'self' https://wiki.example.org" in page["Content-Security-Policy"]

    options, _ = browser.go(STEP_OPTIONS, "post")
    answer = authenticator.get(options.content)
    page, left = browser.go(STEP_PASSKEY, "post", {"credential": answer})
    _, left = consent(browser, page)

    assert the_app_learns(wiki, left) == (["pwd", "hwk", "mfa"],) * 3


def test_a_password_sign_in_after_a_passkey_one_no_longer_says_hwk(wiki, member, authenticator):
    """The session's record of a passkey sign-in goes with the sign-in that made it."""
    browser = Browser()
    options, _ = browser.go(PASSKEY_SIGN_IN_OPTIONS, "post")
    browser.go(PASSKEY_SIGN_IN, "post", {"credential": authenticator.get(options.content)})
    # The same browser signs in again, with the password this time.
    browser.go(LOGIN, "post", {"email": member.email, "password": DEFAULT_PASSWORD})

    page, left = browser.go(wiki.authorization_url())
    _, left = consent(browser, page)

    assert the_app_learns(wiki, left)[0] == ["pwd"]
