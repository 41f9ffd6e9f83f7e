"""A person sets up an authenticator app on the Security page, then signs in with it."""

import re
import time
from pathlib import Path

from playwright.sync_api import expect

from e2e.browser import enter_code
from e2e.phone import authenticator_code
from tests.factories import UserFactory

SET_UP = "Set up an authenticator app"


def test_set_up_an_authenticator_app_then_sign_in_with_it(
    page, journey, inbox, sign_in, password, db
):
    UserFactory(email="ada@example.com")
    sign_in("ada@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    journey.check("security page")

    main = page.get_by_role("main")
    main.get_by_role("link", name=SET_UP).or_(main.get_by_role("button", name=SET_UP)).click()
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    journey.check("step-up asked")
    page.get_by_label(re.compile(r"^(Your )?password$", re.IGNORECASE)).fill(password)
    page.get_by_role("button", name="Confirm").click()

    # A first app becomes part of signing in, so the inbox must agree too.
    expect(page.get_by_role("heading", name="Confirm your e-mail address first")).to_be_visible()
    page.get_by_role("button", name="E-mail me a code").click()
    enter_code(page.get_by_label("Code", exact=True), inbox.code("ada@example.com"))

    # The QR code and the key are shown at once: no page in between.
    expect(page.get_by_role("heading", name=SET_UP)).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.get_by_role("button", name="Show the QR code")).to_have_count(0)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    journey.check("QR code and key")

    # The code field sends the form by itself at the sixth digit (hygate.js).
    enter_code(page.get_by_label("Code from the app"), authenticator_code(secret))
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes li")
    expect(codes).to_have_count(10)
    # Copy, download and print them (hygate.js); the download holds exactly these codes.
    for name in ("Copy", "Download", "Print"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download", exact=True).click()
    assert download.value.suggested_filename == "hygate-recovery-codes.txt"
    saved = Path(download.value.path()).read_text().split()
    assert saved == [code.strip() for code in codes.all_inner_texts()]
    journey.check("recovery codes shown once")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url("/accounts/login/2fa/")
    # Each 30-second step's code works once: the app's next code, within the allowed drift.
    enter_code(
        page.get_by_label(re.compile(r"^Code$")), authenticator_code(secret, time.time() + 30)
    )
    expect(page).to_have_url("/")
    journey.check("signed in with the app")
