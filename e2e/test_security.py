"""A person sets up an authenticator app on the Security page, then signs in with it."""

import re
import time

from playwright.sync_api import expect

from e2e.phone import authenticator_code
from tests.factories import UserFactory


def test_set_up_an_authenticator_app_then_sign_in_with_it(
    page, journey, inbox, sign_in, password, db
):
    UserFactory(email="ada@example.com")
    sign_in("ada@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    journey.check("security page")

    page.get_by_role("button", name="Set up an authenticator app").click()
    if page.get_by_role("heading", name="Confirm your password").is_visible():
        journey.check("step-up asked")
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Confirm").click()
    # A first app needs the inbox's word too; then the QR code and the key, at once.
    expect(page.get_by_role("heading", name="Confirm your e-mail address first")).to_be_visible()
    page.get_by_role("button", name="E-mail me a code").click()
    page.get_by_label("Code").fill(inbox.code("ada@example.com"))
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    journey.check("QR code and key")

    page.get_by_label("Code").fill(authenticator_code(secret))  # six digits send the form
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    journey.check("recovery codes shown once")
    page.get_by_role("link", name="I have saved them").click()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url("/accounts/login/2fa/")
    # Each 30-second step's code works once: the app's next code, within the allowed drift.
    page.get_by_label(re.compile(r"^Code:?$")).fill(authenticator_code(secret, time.time() + 30))
    expect(page).to_have_url("/")  # six digits sent the form
    journey.check("signed in with the app")
