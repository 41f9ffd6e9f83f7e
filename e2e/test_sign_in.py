"""Signing in with each second step: an e-mailed code, an authenticator app, a recovery code."""

import pytest
from playwright.sync_api import Page, expect

from e2e.browser import enter_code, expect_error_summary, expect_field_error
from e2e.phone import authenticator_code, wrong_code
from tests.factories import (
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from twofactor.models import RecoveryCode, SecurityPolicy


@pytest.fixture
def ada(db):
    return UserFactory(email="ada@example.com", name="Ada Lovelace")


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def code_field(page: Page):
    """The second step's code field; it sends its form by itself at the sixth digit."""
    return page.get_by_label("Code", exact=True)


def test_sign_in_with_the_e_mailed_code(page, journey, inbox, ada, password):
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EMAIL)
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    journey.check("sign-in form")

    sign_in(page, "ada@example.com", "not the password")
    expect_error_summary(page, "do not match an account")
    # A mismatch keeps the address; the password is typed again.
    expect(page.get_by_label("E-mail address")).to_have_value("ada@example.com")
    journey.check("wrong password")

    sign_in(page, "ada@example.com", password)
    expect(page).to_have_url("/accounts/login/2fa/")
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    expect(page.get_by_role("main").get_by_text("ada@example.com")).to_be_visible()
    journey.check("code sent")

    enter_code(code_field(page), wrong_code(inbox.code("ada@example.com")))
    expect_error_summary(page, "That code is not right")
    expect_field_error(code_field(page), "That code is not right")
    journey.check("wrong code")

    enter_code(code_field(page), inbox.code("ada@example.com"))
    expect(page).to_have_url("/")
    expect(page.get_by_text("You are signed in as ada@example.com")).to_be_visible()
    journey.check("dashboard")


def test_sign_in_with_an_authenticator_app(page, journey, ada, password):
    key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    AuthenticatorFactory(user=ada, key=key)
    page.goto("/accounts/login/")
    sign_in(page, "ada@example.com", password)
    expect(page).to_have_url("/accounts/login/2fa/")
    expect(page.get_by_text("your authenticator app shows")).to_be_visible()
    journey.check("app code asked")

    enter_code(code_field(page), wrong_code(authenticator_code(key)))
    expect_error_summary(page, "That code is not right")
    expect_field_error(code_field(page), "That code is not right")
    journey.check("wrong app code")

    enter_code(code_field(page), authenticator_code(key))
    expect(page).to_have_url("/")
    expect(page.get_by_text("You are signed in as ada@example.com")).to_be_visible()
    journey.check("dashboard")


def test_sign_in_with_a_recovery_code(page, journey, ada, password):
    AuthenticatorFactory(user=ada)
    RecoveryCodeFactory(user=ada, code="abcde-fghij")
    RecoveryCodeFactory(user=ada, code="klmno-pqrst")
    page.goto("/accounts/login/")
    sign_in(page, "ada@example.com", password)
    expect(page).to_have_url("/accounts/login/2fa/")
    page.get_by_text("Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_visible()
    journey.check("recovery code asked")

    page.get_by_label("Recovery code").fill("zzzzz-zzzzz")
    page.get_by_role("button", name="Use this recovery code").click()
    # The error is the recovery code's, and focus is on its summary, not on the app's field.
    expect_error_summary(page, "That recovery code is not right")
    expect_field_error(page.get_by_label("Recovery code"), "That recovery code is not right")
    expect(code_field(page)).not_to_have_attribute("aria-invalid", "true")
    journey.check("wrong recovery code")

    page.get_by_label("Recovery code").fill("ABCDE-FGHIJ")
    page.get_by_role("button", name="Use this recovery code").click()
    expect(page).to_have_url("/")
    expect(page.get_by_text("1 of them are left")).to_be_visible()
    journey.check("dashboard with the warning")
    assert RecoveryCode.objects.filter(user=ada, used_at__isnull=True).count() == 1
