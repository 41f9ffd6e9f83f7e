"""An administrator sets the two-factor policy, reads the audit log and sets up e-mail."""

import re

from playwright.sync_api import Page, expect

from e2e.browser import expect_error_summary, expect_field_error
from emailing.models import EmailSettings
from tests.factories import UserFactory
from twofactor.models import SecurityPolicy

EMAILED = re.compile(r"^E-mailed code")


def staff_link(page: Page, name: str):
    """A link of the staff row of the navigation (the dashboard's tiles repeat them)."""
    return page.get_by_role("navigation", name="Staff").get_by_role("link", name=name)


def test_staff_set_the_policy_and_read_the_audit_log(page, journey, sign_in, db):
    UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    sign_in("admin@example.com")
    journey.check("staff dashboard")

    staff_link(page, "Settings → Security").click()
    expect(page.get_by_role("heading", name="Settings → Security")).to_be_visible()
    journey.check("security settings")

    page.get_by_role("radio", name=EMAILED).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Two-factor policy saved: E-mailed code")
    expect(
        page.get_by_role("main").get_by_text(re.compile(r"^In force: E-mailed code"))
    ).to_be_visible()
    journey.check("policy saved")
    assert SecurityPolicy.load().two_factor_policy == SecurityPolicy.TwoFactor.EMAIL

    # The dashboard links the audit log for staff.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Settings → Audit log")).to_be_visible()
    changed = page.get_by_role("row").filter(has_text="Changed site settings")
    expect(changed.first).to_contain_text("admin@example.com")
    signed_in = page.get_by_role("row").filter(has_text="Signed in")
    expect(signed_in.first).to_contain_text("admin@example.com")
    journey.check("audit log")

    page.get_by_label("Action").select_option(label="Changed site settings")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row").filter(has_text="Signed in")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="Changed site settings").first).to_be_visible()
    journey.check("audit log filtered")


def test_e_mail_settings_test_connection_fails_then_passes_then_save(
    page, journey, sign_in, resend_api, db
):
    from tests.fakes.resend_api import FULL_KEY, OWNER

    UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    sign_in("admin@example.com")
    staff_link(page, "Settings → E-mail").click()
    expect(page.get_by_role("heading", name="Settings → E-mail")).to_be_visible()
    journey.check("e-mail settings")

    page.get_by_role("radio", name="Resend (HTTP API)").check()
    page.get_by_label("From address").fill(f"Hygate <{OWNER}>")
    page.get_by_role("button", name="Save", exact=True).click()
    expect_error_summary(page, "Enter the Resend API key")
    expect_field_error(page.get_by_label("Resend API key"), "Enter the Resend API key")
    journey.check("key missing")

    page.get_by_label("Resend API key").fill("re_not_a_key_anyone_has")
    page.get_by_label("Send the test to").fill("admin@example.com")
    page.get_by_role("button", name="Test Connection").click()
    result = page.locator(".test-result")
    expect(result.get_by_role("heading", name=re.compile(r"^Test failed"))).to_be_visible()
    expect(result).to_contain_text("invalid_api_key")
    journey.check("test failed: invalid key")

    # Enter in the key field runs the form's main action, Test Connection (not the relay).
    page.get_by_label("Resend API key").fill(FULL_KEY)
    page.get_by_label("Resend API key").press("Enter")
    expect(result.get_by_role("heading", name="Test message sent")).to_be_visible()
    journey.check("test passed")

    # A person saves what has just passed the test, without typing the key a third time.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("E-mail settings saved")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.get_by_role("main").get_by_text("Saved on this page")).to_be_visible()
    journey.check("saved")
    saved = EmailSettings.load()
    assert saved is not None
    assert saved.provider == "resend"
