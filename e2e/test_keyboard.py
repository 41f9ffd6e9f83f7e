"""Only a keyboard: Tab to move, typing, Enter to act; the focus is always visible."""

import re

from playwright.sync_api import expect

from accounts.models import SecurityPolicy
from tests.factories import SecurityPolicyFactory, UserFactory

NEW_PASSWORD = "a brand new passphrase for ada"


def test_keyboard_only_sign_in_with_the_e_mailed_code(page, keyboard, journey, inbox, password, db):
    UserFactory(email="ada@example.com")
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EMAIL)
    page.goto("/accounts/login/")
    keyboard.fill(page.get_by_label("E-mail address"), "ada@example.com")
    keyboard.fill(page.get_by_label("Password", exact=True), password)
    journey.check("sign-in form filled")
    keyboard.submit()

    expect(page).to_have_url("/accounts/login/2fa/")
    with page.expect_navigation():  # the sixth digit sends the form; no Enter needed
        keyboard.fill(page.get_by_label("Code"), inbox.code("ada@example.com"))

    expect(page).to_have_url("/")
    keyboard.tab_to(page.get_by_role("button", name="Sign out"))
    journey.check("dashboard, sign-out focused")
    keyboard.submit()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_keyboard_only_password_reset(page, keyboard, journey, inbox, db):
    UserFactory(email="ada@example.com")
    page.goto("/accounts/login/")
    keyboard.press(page.get_by_role("link", name="Forgot your password?"))

    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    keyboard.fill(page.get_by_label("E-mail address"), "ada@example.com")
    keyboard.submit()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    page.goto(inbox.link("ada@example.com"))  # pasted from the mail into the address bar
    keyboard.fill(page.get_by_label(re.compile(r"^New password:?$")), NEW_PASSWORD)
    keyboard.fill(page.get_by_label("New password confirmation"), NEW_PASSWORD)
    journey.check("new password typed")
    keyboard.submit()

    expect(page).to_have_url("/accounts/login/")
    keyboard.fill(page.get_by_label("E-mail address"), "ada@example.com")
    keyboard.fill(page.get_by_label("Password", exact=True), NEW_PASSWORD)
    keyboard.submit()
    expect(page).to_have_url("/")
    expect(page.get_by_text("You are signed in as ada@example.com")).to_be_visible()
