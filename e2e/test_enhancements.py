"""The small script (static/hygate/hygate.js), seen from the browser.

Show/hide on password fields, codes pasted with a space and sent at the sixth digit, the
resend countdown, and a code field that waits while its form asks for more.
"""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from e2e.browser import enter_code
from e2e.phone import authenticator_code
from tests.factories import AuthenticatorFactory, SecurityPolicyFactory, UserFactory
from twofactor.models import SecurityPolicy

KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def ada(db):
    return UserFactory(email="ada@example.com")


def sign_in(page: Page, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_show_and_hide_what_was_typed_in_a_password_field(page, ada, password):
    page.goto("/accounts/login/")
    field = page.get_by_label("Password", exact=True)
    field.fill(password)
    expect(field).to_have_attribute("type", "password")

    page.get_by_role("button", name="Show password").click()
    expect(field).to_have_attribute("type", "text")
    expect(field).to_be_focused()
    hide = page.get_by_role("button", name="Hide password")
    expect(hide).to_have_attribute("aria-pressed", "true")

    hide.click()
    expect(field).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Show password")).to_have_attribute(
        "aria-pressed", "false"
    )


def test_a_code_pasted_with_a_space_is_sent_at_the_sixth_digit(page, ada, inbox, password):
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EMAIL)
    sign_in(page, password)
    expect(page).to_have_url("/accounts/login/2fa/")
    code = inbox.code("ada@example.com")
    field = page.get_by_label("Code", exact=True)
    expect(field).to_have_attribute("autocomplete", "one-time-code")

    # What a mail client copies: "123 456". Pasted, not typed: no key per digit.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", f"{code[:3]} {code[3:]}")
    field.focus()
    page.keyboard.press("ControlOrMeta+V")

    expect(page).to_have_url("/")
    expect(page.get_by_text("You are signed in as ada@example.com")).to_be_visible()


def test_the_resend_countdown_enables_send_a_new_code_when_the_wait_is_over(
    page, ada, inbox, password
):
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EMAIL)
    page.clock.install()
    sign_in(page, password)
    expect(page).to_have_url("/accounts/login/2fa/")
    resend = page.get_by_role("button", name="Send a new code")
    note = page.locator("#resend-wait")
    expect(resend).to_be_disabled()
    expect(note).to_have_text(re.compile(r"^You can ask for a new code in \d+ seconds?\.$"))

    # The words follow the clock, second by second.
    before = int(re.search(r"\d+", note.inner_text()).group())
    page.clock.run_for(1000)
    expect(note).to_have_text(f"You can ask for a new code in {before - 1} seconds.")
    expect(resend).to_be_disabled()

    # Back after the wait (another tab, the mail app, a laptop lid): the button is ready.
    page.clock.fast_forward("00:31")
    page.clock.run_for(1000)
    expect(note).to_have_text("You can ask for a new code now.")
    expect(resend).to_be_enabled()
    # (Pressing it now would meet the server's own clock, which the fake one does not move.)


def test_the_app_code_on_the_password_change_waits_for_the_new_password(page, ada, password):
    AuthenticatorFactory(user=ada, key=KEY)
    sign_in(page, password)
    enter_code(page.get_by_label("Code", exact=True), authenticator_code(KEY))
    expect(page).to_have_url("/")
    page.goto("/accounts/password/change/")
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()

    page.get_by_label("Current password").fill(password)
    # Six digits in a field that is not the form's last: the form must wait for the rest.
    page.get_by_label("Code from your authenticator app").fill(
        authenticator_code(KEY, time.time() + 30)
    )
    page.get_by_label("New password", exact=True).fill("a brand new passphrase for ada")
    page.get_by_label("New password again").fill("a brand new passphrase for ada")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.get_by_label("New password again")).to_have_value("a brand new passphrase for ada")
