"""A person who forgot their password sets a new one from the link in the mail."""

import re

from playwright.sync_api import expect

from e2e.browser import expect_error_summary, expect_field_error
from tests.factories import UserFactory

NEW_PASSWORD = "a brand new passphrase for ada"
# The repetition's label, and the mismatch said on it.
AGAIN = re.compile(r"^New password (again|confirmation)$")
MISMATCH = re.compile(r"didn’t match|not the same")


def test_password_reset_from_the_mail_link(page, journey, inbox, db):
    UserFactory(email="ada@example.com")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    journey.check("reset form")

    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    journey.check("link sent")

    link = inbox.link("ada@example.com")
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    journey.check("new password form")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label(AGAIN).fill("something else entirely")
    page.get_by_role("button", name="Change my password").click()
    expect_error_summary(page, MISMATCH)
    expect_field_error(page.get_by_label(AGAIN), MISMATCH)
    journey.check("passwords differ")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label(AGAIN).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page).to_have_url("/accounts/login/")
    expect(page.locator(".messages")).to_contain_text("Your password has been changed")
    journey.check("changed")

    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url("/")
    expect(page.get_by_text("You are signed in as ada@example.com")).to_be_visible()

    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    journey.check("used link")
