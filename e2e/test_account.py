"""A signed-in person changes their password, then their e-mail address."""

from playwright.sync_api import expect

from accounts.models import User
from tests.factories import UserFactory

NEW_PASSWORD = "a brand new passphrase for ada"


def test_password_change_then_e_mail_change(page, journey, inbox, sign_in, password, db):
    UserFactory(email="ada@example.com")
    sign_in("ada@example.com")
    page.get_by_role("link", name="your password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    journey.check("password change form")

    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=False).first.fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill("not the same at all")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".field-errors")).to_be_visible()
    journey.check("new passwords differ")

    # The current password was right: only the new one is asked again.
    expect(page.get_by_label("Current password")).to_have_count(0)
    page.get_by_label("New password", exact=False).first.fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".messages")).to_be_visible()
    journey.check("password changed")
    assert User.objects.get(email="ada@example.com").check_password(NEW_PASSWORD)

    # The password just given opened the 5-minute window: no step-up again.
    page.goto("/accounts/email/change/")
    expect(page.get_by_role("heading", name="Change your e-mail address")).to_be_visible()
    journey.check("e-mail change form")

    page.get_by_label("New e-mail address").fill("ada@new.example")
    page.get_by_role("button", name="Send a code").click()
    expect(page.get_by_role("heading", name="Check the new inbox")).to_be_visible()
    journey.check("code sent to the new address")

    # Six digits in the code input send the form (hygate.js).
    page.get_by_label("Code").fill(inbox.code("ada@new.example"))
    expect(page.get_by_text("Your e-mail address is now ada@new.example")).to_be_visible()
    journey.check("address changed")
    assert User.objects.filter(email="ada@new.example").exists()
