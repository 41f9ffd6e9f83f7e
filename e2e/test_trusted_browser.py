"""Trusting a browser at the second step and stopping it on the security page; new-device mail."""

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from e2e.browser import enter_code
from tests.factories import SecurityPolicyFactory, UserFactory
from twofactor.models import SecurityPolicy, TrustedBrowser


@pytest.fixture
def ada(db):
    return UserFactory(email="ada@example.com", name="Ada Lovelace")


def sign_in(page: Page, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url("/accounts/login/")


def test_a_trusted_browser_signs_in_without_the_second_step_until_trust_stops(
    page, journey, inbox, ada, password
):
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EMAIL)
    sign_in(page, password)
    expect(page).to_have_url("/accounts/login/2fa/")
    box = page.get_by_label("Trust this browser for 30 days")
    expect(box).not_to_be_checked()
    journey.check("second step with the trust box")

    box.check()
    enter_code(page.get_by_label("Code", exact=True), inbox.code("ada@example.com"))
    expect(page).to_have_url("/")
    sign_out(page)

    sign_in(page, password)
    expect(page).to_have_url("/")  # no second step this time: the password was enough
    expect(page.get_by_text("You are signed in as ada@example.com")).to_be_visible()

    page.goto("/accounts/security/")
    trusted = page.get_by_role("region", name="Trusted browsers")
    expect(trusted.get_by_text("This browser")).to_be_visible()
    expect(trusted.get_by_text("trusted since")).to_be_visible()
    journey.check("security page with a trusted browser")

    trusted.get_by_role("button", name="Stop trusting").click()
    expect(page.get_by_text("That browser is no longer trusted")).to_be_visible()
    expect(trusted.get_by_text("No browser skips your second step.")).to_be_visible()
    journey.check("trust stopped")
    assert not TrustedBrowser.objects.exists()

    sign_out(page)
    sign_in(page, password)
    expect(page).to_have_url("/accounts/login/2fa/")


def test_a_sign_in_from_a_new_browser_mails_the_owner(page, journey, inbox, ada, password):
    ada.last_login = timezone.now()  # she has signed in before, elsewhere
    ada.save(update_fields=["last_login"])

    sign_in(page, password)
    expect(page).to_have_url("/")

    notice = inbox.latest("ada@example.com")
    assert "a sign-in from a new browser" in notice.subject
    assert "Browser: Chrome on Linux" in notice.body
    assert "IP address: 127.0.0.1" in notice.body
    assert " UTC" in notice.body
    link = inbox.link("ada@example.com")
    assert link.endswith("/accounts/security/")

    page.goto(link)
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    journey.check("security page from the new-device mail")

    sign_out(page)
    sign_in(page, password)
    expect(page).to_have_url("/")
    assert len([m for m in mail.outbox if "new browser" in m.subject]) == 1  # known now
