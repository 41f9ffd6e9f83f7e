"""A newcomer creates an account in the browser."""

from playwright.sync_api import expect

from accounts.models import User
from e2e.browser import enter_code, expect_error_summary, expect_field_error
from e2e.phone import wrong_code


def test_newcomer_signs_up_confirms_the_code_and_lands_on_the_dashboard(
    page, journey, inbox, password
):
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    journey.check("empty form")

    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("Name (optional)").fill("Ada Lovelace")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Create account").click()
    expect_error_summary(page, "This password is too short")
    expect_field_error(page.get_by_label("Password", exact=True), "This password is too short")
    # What was right is kept; only the password is typed again.
    expect(page.get_by_label("E-mail address")).to_have_value("ada@example.com")
    journey.check("password too short")

    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url("/accounts/verify/")
    expect(page.get_by_role("main").get_by_text("ada@example.com")).to_be_visible()
    journey.check("code sent")

    # The code field sends the form by itself at the sixth digit (hygate.js).
    code = page.get_by_label("Code", exact=True)
    enter_code(code, wrong_code(inbox.code("ada@example.com")))
    expect_error_summary(page, "That code is not right")
    expect_field_error(page.get_by_label("Code", exact=True), "That code is not right")
    journey.check("wrong code")

    enter_code(page.get_by_label("Code", exact=True), inbox.code("ada@example.com"))
    expect(page).to_have_url("/")
    expect(page.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()
    journey.check("dashboard")
    assert User.objects.get(email="ada@example.com").email_verified_at is not None
