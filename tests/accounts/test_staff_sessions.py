"""Staff pages open only for a session that passed the authenticator app staff must use."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.staff_sign_in import sign_in_with_app
from tests.accounts.totp_app import app_code, shown_secret
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.mailbox import code_in
from twofactor.models import SecurityPolicy

LOGIN = reverse("accounts:login")
STEP = reverse("accounts:login_2fa")
ENROL = reverse("accounts:login_enrol")
APP_REQUIRED = reverse("accounts:app_required")
STEP_UP = reverse("accounts:security_reauthenticate")
STAFF_PAGES = ("/admin/", "/settings/email/", "/settings/security/", "/settings/audit/")

pytestmark = pytest.mark.django_db


def sign_in_with_password(client: Client, user) -> None:
    answer = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert answer["Location"] == "/"


def opens(client: Client, path: str) -> bool:
    return client.get(path).status_code == 200


def refused_to_app_page(client: Client, path: str) -> bool:
    """Say whether the page sent this session to sign in again with the app."""
    answer = client.get(path, follow=True)
    return answer.redirect_chain[-1][0].startswith(APP_REQUIRED) and (
        "Sign in with your authenticator app" in answer.content.decode()
    )


def test_a_member_signed_in_with_the_password_alone_then_made_staff_loses_that_session(
    settings,
):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True  # the site policy stays "off"
    mia = UserFactory(email="mia@example.com")
    browser = Client()
    sign_in_with_password(browser, mia)

    mia.is_staff = mia.is_superuser = True
    mia.save()

    assert browser.get("/admin/")["Location"].startswith("/admin/login/")
    assert browser.get("/settings/email/")["Location"] == "/accounts/login/?next=/settings/email/"
    assert browser.get("/")["Location"] == "/accounts/login/?next=/"


def test_a_staff_session_that_never_passed_the_app_is_refused_every_staff_page(settings):
    root = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    sign_in_with_password(browser, root)  # before staff had to use the app
    settings.HYGATE_STAFF_REQUIRE_TOTP = True

    for path in STAFF_PAGES:
        assert refused_to_app_page(browser, path), path
    assert browser.post("/settings/security/", {"two_factor_policy": "either"}).status_code == 302
    assert not SecurityPolicy.objects.exists()

    # The way out: sign out, and sign in again (with the app) to come back.
    page = browser.get(f"{APP_REQUIRED}?next=/admin/").content.decode()
    assert "This session was signed in without it" in page and "set one up" in page
    answer = browser.post(APP_REQUIRED, {"next": "/admin/"})
    assert answer["Location"] == "/accounts/login/?next=/admin/"
    assert browser.get("/")["Location"] == "/accounts/login/?next=/"


def test_a_session_from_before_the_rule_with_no_step_recorded_is_refused(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert refused_to_app_page(client, "/admin/")
    assert refused_to_app_page(client, "/settings/email/")


def test_an_emailed_code_is_not_the_app(settings, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    root = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    assert browser.post(LOGIN, {"email": root.email, "password": DEFAULT_PASSWORD})["Location"] == (
        STEP
    )
    assert browser.post(STEP, {"action": "verify", "code": code_in(outbox[-1])})["Location"] == "/"
    assert opens(browser, "/admin/")  # staff need not use the app here

    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    assert refused_to_app_page(browser, "/admin/")


def test_the_site_policy_totp_holds_staff_pages_to_the_app_too(client):
    SecurityPolicyFactory(two_factor_policy="totp")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert refused_to_app_page(client, "/settings/audit/")


def test_staff_who_signed_in_with_the_app_open_the_admin_and_the_settings(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    sign_in_with_app(client, UserFactory(is_staff=True, is_superuser=True))
    for path in STAFF_PAGES:
        assert opens(client, path), path


def test_a_recovery_code_of_the_app_counts_as_the_app(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    root = AuthenticatorFactory(user=UserFactory(is_staff=True, is_superuser=True)).user
    RecoveryCodeFactory(user=root, code="abcde-fghij")
    client.post(LOGIN, {"email": root.email, "password": DEFAULT_PASSWORD})
    used = client.post(STEP, {"action": "recovery", "recovery_code": "abcde-fghij"})
    assert used["Location"] == "/"
    assert opens(client, "/admin/")


def test_staff_without_an_app_sign_in_again_set_one_up_and_get_in(client, settings, outbox):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    olive = UserFactory(staff=True, is_superuser=True)
    client.post(LOGIN, {"email": olive.email, "password": DEFAULT_PASSWORD, "next": "/admin/"})
    assert client.post(STEP, {"action": "verify", "code": code_in(outbox[-1])})["Location"] == (
        ENROL
    )
    secret = shown_secret(client.get(ENROL).content.decode())
    assert client.post(ENROL, {"code": app_code(secret)}).status_code == 200
    assert opens(client, "/admin/")


def test_a_step_up_with_the_app_lets_the_session_in(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    root = UserFactory(is_staff=True, is_superuser=True)
    secret = sign_in_with_app(Client(), root)  # the app exists; this session skipped it
    client.force_login(root)
    assert refused_to_app_page(client, "/admin/")

    client.post(STEP_UP, {"password": DEFAULT_PASSWORD, "code": app_code(secret, 1)})
    assert opens(client, "/admin/")


def test_the_admins_own_password_form_is_hygates(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    root = UserFactory(is_staff=True, is_superuser=True)
    sign_in_with_app(client, root)
    new = "a password set past the second factor 42"
    form = {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new}

    assert client.get("/admin/password_change/")["Location"] == "/accounts/password/change/"
    client.post("/admin/password_change/", form)

    root.refresh_from_db()
    assert root.check_password(DEFAULT_PASSWORD)
