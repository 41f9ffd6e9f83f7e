"""An administrator sets the two-factor policy, reads the audit log and opens Settings -> Email."""

import re

from playwright.sync_api import expect

from accounts.models import SecurityPolicy
from tests.factories import UserFactory

EMAILED = re.compile(r"^E-mailed code")


def test_staff_set_the_policy_and_read_the_audit_log(page, journey, sign_in, password, db):
    UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    sign_in("admin@example.com")
    journey.check("staff dashboard")

    page.get_by_role("link", name="Settings → Security").click()
    expect(page.get_by_role("heading", name="Settings → Security")).to_be_visible()
    journey.check("security settings")

    page.get_by_role("radio", name=EMAILED).check()
    page.get_by_role("button", name="Save").click()
    if page.get_by_role("heading", name="Confirm your password").is_visible():
        journey.check("step-up asked")
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Confirm").click()
        if page.get_by_role("radio", name=EMAILED).is_visible():
            page.get_by_role("radio", name=EMAILED).check()
            page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("In force: E-mailed code")).to_be_visible()
    journey.check("policy saved")
    assert SecurityPolicy.load().two_factor_policy == SecurityPolicy.TwoFactor.EMAIL

    page.goto("/settings/audit/")
    expect(page.get_by_role("heading", name="Settings → Audit log")).to_be_visible()
    expect(page.get_by_role("main").get_by_text("admin@example.com").first).to_be_visible()
    journey.check("audit log")

    page.goto("/")
    page.get_by_role("link", name="Settings → E-mail").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.check("e-mail settings")


def test_e_mail_settings_test_connection_fails_then_passes_then_save(
    page, journey, sign_in, resend_api, db
):
    from tests.fakes.resend_api import FULL_KEY, OWNER

    UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    sign_in("admin@example.com")
    page.goto("/settings/email/")
    page.get_by_role("radio", name="Resend (HTTP API)").check()
    page.get_by_label("From address").fill(f"Hygate <{OWNER}>")
    page.get_by_label("Resend API key").fill("re_not_a_key_anyone_has")
    page.get_by_label("Send the test to").fill("admin@example.com")
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_role("heading", name="Test failed: invalid_api_key")).to_be_visible()
    journey.check("test failed: invalid key")

    page.get_by_label("Resend API key").fill(FULL_KEY)
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_role("heading", name="Test message sent")).to_be_visible()
    journey.check("test passed")

    # A person saves what has just passed the test, without typing the key a third time.
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter the Resend API key")).not_to_be_visible()
    expect(page.get_by_text("In force: Resend")).to_be_visible()
    journey.check("saved")
