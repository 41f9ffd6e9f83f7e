"""Only a keyboard: Tab to move, typing, Enter to act; the focus is always visible."""

import re

from playwright.sync_api import expect

from e2e.browser import expect_error_summary
from tests.factories import SecurityPolicyFactory, UserFactory
from twofactor.models import SecurityPolicy

NEW_PASSWORD = "a brand new passphrase for ada"
AGAIN = re.compile(r"^New password (again|confirmation)$")


def test_keyboard_only_sign_in_with_the_e_mailed_code(page, keyboard, journey, inbox, password, db):
    UserFactory(email="ada@example.com")
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EMAIL)
    page.goto("/accounts/login/")
    keyboard.fill(page.get_by_label("E-mail address"), "ada@example.com")
    keyboard.fill(page.get_by_label("Password", exact=True), "not the password")
    keyboard.submit()
    # The error summary has the focus; Tab goes on from it to the form.
    expect_error_summary(page, "do not match an account")
    keyboard.check_focus()
    journey.check("wrong password, summary focused")

    keyboard.fill(page.get_by_label("Password", exact=True), password)
    journey.check("sign-in form filled")
    keyboard.submit()

    expect(page).to_have_url("/accounts/login/2fa/")
    # Typing the sixth digit sends the code (hygate.js); no pointer, no extra key.
    with page.expect_navigation():
        keyboard.fill(page.get_by_label("Code", exact=True), inbox.code("ada@example.com"))

    expect(page).to_have_url("/")
    keyboard.tab_to(page.get_by_role("button", name="Sign out"))
    journey.check("dashboard, sign-out focused")
    keyboard.submit()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("You have signed out")


def test_keyboard_only_password_reset(page, keyboard, journey, inbox, db):
    UserFactory(email="ada@example.com")
    page.goto("/accounts/login/")
    keyboard.press(page.get_by_role("link", name="Forgot your password?"))

    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    keyboard.fill(page.get_by_label("E-mail address"), "ada@example.com")
    keyboard.submit()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    page.goto(inbox.link("ada@example.com"))  # pasted from the mail into the address bar
    keyboard.fill(page.get_by_label("New password", exact=True), NEW_PASSWORD)
    keyboard.fill(page.get_by_label(AGAIN), NEW_PASSWORD)
    journey.check("new password typed")
    keyboard.submit()

    expect(page).to_have_url("/accounts/login/")
    keyboard.fill(page.get_by_label("E-mail address"), "ada@example.com")
    keyboard.fill(page.get_by_label("Password", exact=True), NEW_PASSWORD)
    keyboard.submit()
    expect(page).to_have_url("/")
    expect(page.get_by_text("You are signed in as ada@example.com")).to_be_visible()
