"""A signed-in person changes their password, then their e-mail address."""

from playwright.sync_api import expect

from accounts.models import User
from e2e.browser import enter_code, expect_error_summary, expect_field_error
from tests.factories import UserFactory

NEW_PASSWORD = "a brand new passphrase for ada"
MISMATCH = "The two new passwords are not the same."


def test_password_change_then_e_mail_change(page, journey, inbox, sign_in, password, db):
    UserFactory(email="ada@example.com")
    sign_in("ada@example.com")
    page.get_by_role("main").get_by_role("link", name="your password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    journey.check("password change form")

    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill("not the same at all")
    page.get_by_role("button", name="Change password").click()
    expect_error_summary(page, MISMATCH)
    expect_field_error(page.get_by_label("New password again"), MISMATCH)
    # A mismatch keeps what was right: the current password is not asked again (it is
    # kept in its field, or the page says it is confirmed and leaves the field out).
    current = page.get_by_label("Current password")
    if current.count():
        expect(current).to_have_value(password)
    journey.check("new passwords differ")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".messages")).to_contain_text("password")
    journey.check("password changed")
    assert User.objects.get(email="ada@example.com").check_password(NEW_PASSWORD)

    # The password was just given: the e-mail change does not ask for it again.
    page.goto("/accounts/email/change/")
    expect(page.get_by_role("heading", name="Change your e-mail address")).to_be_visible()
    journey.check("e-mail change form")

    page.get_by_label("New e-mail address").fill("ada@new.example")
    page.get_by_role("button", name="Send a code").click()
    expect(page.get_by_role("heading", name="Check the new inbox")).to_be_visible()
    expect(page.get_by_role("main").get_by_text("ada@new.example")).to_be_visible()
    journey.check("code sent to the new address")

    # The code field sends the form by itself at the sixth digit (hygate.js).
    enter_code(page.get_by_label("Code", exact=True), inbox.code("ada@new.example"))
    status = page.locator(".messages")
    expect(status).to_contain_text("ada@new.example")
    # The message names the new address, not the old one.
    expect(status).not_to_contain_text("ada@example.com")
    journey.check("address changed")
    assert User.objects.filter(email="ada@new.example").exists()
