"""Passkeys in Chromium: add one on the security page, sign in with it, use it as the second step.

The passkey lives in Chromium's virtual authenticator (DevTools' WebAuthn domain): a
platform authenticator that holds discoverable credentials, verifies its user and answers
at once, as a laptop's fingerprint reader would. WebAuthn needs a relying party id that is
a name, so the live server is reached as http://localhost:PORT, which is also the site's
HYGATE_SITE_URL (conftest's `_site`).

Chromium's virtual environment answers a conditional request (the e-mail field's autofill)
at once with the passkey it holds, without anyone picking it from the autofill list. A
test that wants the sign-in page to wait for a person, as a real browser does, either
turns the authenticator's answering off or takes conditional mediation away from the page
(`without_autofill`), as in a browser that has none.
"""

import base64
import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from e2e.browser import expect_error_summary
from tests.factories import UserFactory
from twofactor.models import Passkey, SecurityPolicy

EMAIL = "ada@example.com"
# What a browser without conditional mediation (passkeys in autofill) says.
NO_AUTOFILL = """
if (window.PublicKeyCredential) {
  PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
}
"""


class VirtualAuthenticator:
    """A passkey holder in this browser: Chromium's virtual authenticator, over DevTools."""

    def __init__(self, page: Page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.id = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )["authenticatorId"]

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def forget(self) -> None:
        """Delete every passkey this authenticator holds (as a person may on their device)."""
        self.cdp.send("WebAuthn.clearCredentials", {"authenticatorId": self.id})

    def answering(self, on: bool) -> None:
        """Let the authenticator answer requests at once (a touch), or leave them waiting."""
        self.cdp.send(
            "WebAuthn.setAutomaticPresenceSimulation",
            {"authenticatorId": self.id, "enabled": on},
        )


@pytest.fixture
def authenticator(page) -> VirtualAuthenticator:
    return VirtualAuthenticator(page)


@pytest.fixture
def ada(db):
    return UserFactory(email=EMAIL, name="Ada Lovelace")


def focused(page: Page) -> str:
    """Describe the element that has focus: its tag, id and text (or `body`)."""
    return page.evaluate(
        """() => { const el = document.activeElement;
        return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' '
          + (el.innerText || el.value || '').trim().slice(0, 80); }"""
    )


def passkeys_panel(page: Page):
    return page.get_by_role("region", name="Passkeys")


def add_passkey(page: Page, password: str, name: str) -> None:
    """From the security page, add a passkey called `name` (after the step-up, if asked)."""
    passkeys_panel(page).get_by_role("link", name="Add a passkey").click()
    if page.get_by_role("heading", name="Confirm your password").is_visible():
        page.get_by_label(re.compile(r"^(Your )?password$", re.IGNORECASE)).fill(password)
        page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Add the passkey").click()
    expect(page.get_by_text(f"Your passkey “{name}” was added.")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url("/accounts/login/")


def credential_id(credential: dict) -> bytes:
    """The id of a virtual authenticator's credential (DevTools gives it in base64)."""
    return base64.b64decode(credential["credentialId"])


def test_add_a_passkey_on_the_security_page(
    page, journey, inbox, sign_in, password, authenticator, ada
):
    sign_in(EMAIL)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    panel = passkeys_panel(page)
    expect(panel.get_by_text("Not set up")).to_be_visible()

    panel.get_by_role("link", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    page.get_by_label(re.compile(r"^(Your )?password$", re.IGNORECASE)).fill(password)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    expect(page.get_by_text("This browser cannot make passkeys")).to_be_hidden()
    journey.check("add a passkey")

    # No name: the form says so, and the browser's passkey dialog does not open.
    page.get_by_role("button", name="Add the passkey").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("Enter a name for the passkey.")
    assert authenticator.credentials() == []

    page.get_by_label("Name").fill("Work laptop")
    page.get_by_role("button", name="Add the passkey").click()
    expect(page).to_have_url("/accounts/security/")
    expect(page.get_by_text("Your passkey “Work laptop” was added.")).to_be_visible()
    panel = passkeys_panel(page)
    expect(panel.get_by_text("1 added")).to_be_visible()
    expect(panel.get_by_text("Work laptop", exact=True)).to_be_visible()
    expect(panel.get_by_text(re.compile(r"^Added \d+ \w+ \d{4} · not used yet$"))).to_be_visible()
    journey.check("security page with a passkey listed")
    # Its two links read as two, not as one run of text ("Rename Remove").
    rename, remove = (
        panel.get_by_role("link", name=f"{verb} the passkey Work laptop").bounding_box()
        for verb in ("Rename", "Remove")
    )
    assert remove["x"] - (rename["x"] + rename["width"]) >= 12

    [held] = authenticator.credentials()
    assert held["rpId"] == "localhost"
    assert held["isResidentCredential"]
    assert held["userName"] == EMAIL
    passkey = Passkey.objects.get(user=ada)
    assert passkey.name == "Work laptop"
    assert bytes(passkey.credential_id) == credential_id(held)
    assert passkey.last_used_at is None
    assert passkey.sign_count == held["signCount"]
    assert AuditEvent.objects.filter(action="passkey_added", target_user=ada).exists()

    notice = inbox.latest(EMAIL)
    assert "a passkey was added" in notice.subject
    assert "“Work laptop”" in notice.body
    assert re.search(r"/accounts/security/passkeys/undo/\S+", notice.body)


def test_sign_in_with_a_passkey_and_no_password(
    page, journey, keyboard, sign_in, password, authenticator, ada
):
    sign_in(EMAIL)
    page.goto("/accounts/security/")
    add_passkey(page, password, "Work laptop")
    [held] = authenticator.credentials()
    signed_with_it = held["signCount"]

    # The button, in a browser without passkeys in autofill: the page waits for a press.
    page.add_init_script(NO_AUTOFILL)
    sign_out(page)
    button = page.get_by_role("button", name="Sign in with a passkey")
    expect(button).to_be_visible()
    journey.check("sign-in page with the passkey button")
    keyboard.press(button)  # Tab to it and press Enter; the focus ring is measured on the way
    expect(page).to_have_url("/")
    expect(page.get_by_text(f"You are signed in as {EMAIL}")).to_be_visible()

    passkey = Passkey.objects.get(user=ada)
    assert passkey.last_used_at is not None
    assert passkey.sign_count > signed_with_it
    assert AuditEvent.objects.filter(action="passkey_sign_in", target_user=ada).count() == 1
    page.goto("/accounts/security/")
    expect(
        passkeys_panel(page).get_by_text(re.compile(r"· last used \d+ \w+ \d{4}, "))
    ).to_be_visible()


def test_conditional_mediation_signs_in_from_the_e_mail_field(browser, live_server, password, ada):
    """The e-mail field's autofill: Chromium's virtual authenticator answers it at once.

    A person would pick the passkey from the field's autofill list; the virtual environment
    picks the only one for them, so this shows the page makes a conditional request that
    signs in, not how Chromium draws the list.
    """
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    authenticator = VirtualAuthenticator(page)
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto("/accounts/security/")
    add_passkey(page, password, "Work laptop")
    assert len(authenticator.credentials()) == 1
    context.clear_cookies()

    authenticator.answering(False)
    page.goto("/accounts/login/")
    email = page.get_by_label("E-mail address")
    expect(email).to_have_attribute("autocomplete", re.compile(r"\bwebauthn\b"))
    authenticator.answering(True)
    page.reload()  # the request made while it did not answer stays unanswered
    expect(page).to_have_url("/")  # no button pressed: the autofill's passkey signed in
    expect(page.get_by_text(f"You are signed in as {EMAIL}")).to_be_visible()
    assert Passkey.objects.get(user=ada).last_used_at is not None
    context.close()


def test_a_passkey_as_the_second_step_after_the_password(
    page, journey, inbox, sign_in, password, authenticator, ada
):
    sign_in(EMAIL)
    page.goto("/accounts/security/")
    add_passkey(page, password, "Work laptop")
    SecurityPolicy.objects.update_or_create(
        pk=1, defaults={"two_factor_policy": SecurityPolicy.TwoFactor.EMAIL}
    )
    # Ada types her password instead of picking the passkey from the autofill list.
    authenticator.answering(False)
    sign_out(page)
    mail.outbox = []
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url("/accounts/login/2fa/")
    use = page.get_by_role("button", name="Use your passkey")
    expect(use).to_be_visible()
    expect(page.get_by_role("button", name="Use another method: a code by e-mail")).to_be_visible()
    expect(page.get_by_text("This browser cannot use passkeys")).to_be_hidden()
    expect(page.get_by_text("Press “Use your passkey”: your browser then asks")).to_be_visible()
    assert mail.outbox == []  # the passkey comes first: no code was e-mailed
    journey.check("second step with the passkey offered")

    authenticator.answering(True)
    use.click()
    expect(page).to_have_url("/")
    expect(page.get_by_text(f"You are signed in as {EMAIL}")).to_be_visible()
    assert Passkey.objects.get(user=ada).last_used_at is not None
    assert AuditEvent.objects.filter(action="two_factor_passed", target_user=ada).exists()


def test_rename_then_remove_a_passkey_which_then_no_longer_signs_in(
    page, journey, inbox, sign_in, password, authenticator, ada
):
    sign_in(EMAIL)
    page.goto("/accounts/security/")
    add_passkey(page, password, "Work laptop")

    passkeys_panel(page).get_by_role("link", name="Rename the passkey Work laptop").click()
    expect(page.get_by_role("heading", name="Rename the passkey")).to_be_visible()
    name = page.get_by_label("Name")
    expect(name).to_have_value("Work laptop")
    journey.check("rename a passkey")
    name.fill("Old laptop")
    page.get_by_role("button", name="Save the name").click()
    expect(page.get_by_text("The passkey is now called “Old laptop”.")).to_be_visible()
    expect(passkeys_panel(page).get_by_text("Old laptop", exact=True)).to_be_visible()
    assert Passkey.objects.get(user=ada).name == "Old laptop"

    passkeys_panel(page).get_by_role("link", name="Remove the passkey Old laptop").click()
    expect(page.get_by_role("heading", name="Remove the passkey “Old laptop”?")).to_be_visible()
    journey.check("remove a passkey")
    page.get_by_role("button", name="Remove it").click()
    expect(page.get_by_text("The passkey “Old laptop” was removed.")).to_be_visible()
    panel = passkeys_panel(page)
    expect(panel.get_by_text("Not set up")).to_be_visible()
    expect(panel.get_by_text("Old laptop")).to_have_count(0)
    assert not Passkey.objects.filter(user=ada).exists()
    notice = inbox.latest(EMAIL)
    assert "a passkey was removed" in notice.subject
    assert "“Old laptop”" in notice.body

    # The browser still holds the key; the site no longer knows it.
    assert len(authenticator.credentials()) == 1
    page.add_init_script(NO_AUTOFILL)
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url("/accounts/login/")
    expect_error_summary(page, "That passkey is not registered here.")
    expect(page.get_by_text("You are signed in")).to_have_count(0)
    journey.check("passkey refused")
    assert AuditEvent.objects.filter(action="passkey_refused").count() == 1


def test_what_the_browser_refuses_is_said_where_the_focus_is(
    page, journey, sign_in, password, authenticator, ada
):
    sign_in(EMAIL)
    page.goto("/accounts/security/")
    add_passkey(page, password, "Work laptop")

    # This browser holds a passkey for Ada already: it makes no second one.
    passkeys_panel(page).get_by_role("link", name="Add a passkey").click()
    page.get_by_label("Name").fill("Work laptop again")
    page.get_by_role("button", name="Add the passkey").click()
    error = page.get_by_role("alert")
    expect(error).to_have_text("This device already holds a passkey for your account.")
    expect(error).to_be_focused()
    expect(page).to_have_url("/accounts/security/passkeys/add/")
    journey.check("this device holds a passkey already")
    assert Passkey.objects.filter(user=ada).count() == 1

    # Ada deleted the passkey from her device: the browser finds none to offer.
    authenticator.forget()
    page.add_init_script(NO_AUTOFILL)
    page.goto("/accounts/security/")
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    error = page.get_by_role("alert")
    expect(error).to_contain_text("The passkey request was cancelled or timed out.")
    expect(error).to_be_focused()
    expect(page).to_have_url("/accounts/login/")
    journey.check("no passkey given")


def test_this_was_not_me_from_the_notice_removes_the_passkey_and_signs_out(
    page, journey, inbox, sign_in, password, authenticator, ada, live_server
):
    sign_in(EMAIL)
    page.goto("/accounts/security/")
    add_passkey(page, password, "Work laptop")
    undo = re.search(
        re.escape(live_server.url) + r"/accounts/security/passkeys/undo/\S+",
        inbox.latest(EMAIL).body,
    )

    page.add_init_script(NO_AUTOFILL)  # the passkey stays in the browser, unused
    page.goto(undo.group(0))
    expect(page.get_by_role("heading", name="Was this passkey not yours?")).to_be_visible()
    expect(page.get_by_text("A passkey named “Work laptop” was added to")).to_be_visible()
    journey.check("was this passkey not yours")
    page.get_by_role("button", name="Remove the passkey").click()
    expect(page.get_by_role("heading", name="The passkey was removed")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # as it says
    journey.check("passkey removed from the notice")
    assert not Passkey.objects.filter(user=ada).exists()
    assert AuditEvent.objects.filter(action="passkey_disowned", target_user=ada).count() == 1

    page.goto("/accounts/security/")  # every session was ended, this one too
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
