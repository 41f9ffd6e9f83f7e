"""A sign-up or an address change to a deactivated or suppressed address does the same work.

Whoever times the answers must not tell a deactivated account's address from a new one: the
real path renders a message and hands it to the provider within the request, so the decoy
does too (a notice to the address's owner), and a suppressed address is skipped alike on
every path. These tests check the work done (mail rendered, logged, handed over), never the
time taken; bench/decoy_timing.py measures the time.
"""

import pytest
from django.test import Client
from django.urls import reverse

from emailing.models import EmailLog, Suppression
from tests.factories import DEFAULT_PASSWORD, UserFactory

SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
CHANGE = reverse("accounts:email_change")
PASSWORD = reverse("accounts:security_reauthenticate")
SEND_FAILED = "We could not send the e-mail"

pytestmark = pytest.mark.django_db


def sign_up(email: str) -> str:
    browser = Client()
    browser.post(SIGNUP, {"email": email, "password": "a long and unusual passphrase 42"})
    return browser.get(reverse("accounts:verify")).content.decode()


def ask_to_move_to(email: str) -> str:
    asker = UserFactory()
    browser = Client()
    browser.post(LOGIN, {"email": asker.email, "password": DEFAULT_PASSWORD})
    browser.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": CHANGE})
    browser.post(CHANGE, {"email": email})
    return browser.get(reverse("accounts:email_change_confirm")).content.decode()


def handed_over_to(address: str) -> list[str]:
    """What became of the mail to the address: its delivery log's status (or error code)."""
    entries = EmailLog.objects.filter(recipient=address)
    return [entry.error_code or entry.status for entry in entries]


def test_a_sign_up_with_a_deactivated_accounts_address_sends_mail_as_a_new_one_does(outbox):
    UserFactory(email="gone@example.com", is_active=False)

    sign_up("new@example.com")
    sign_up("gone@example.com")

    assert [m.to for m in outbox] == [["new@example.com"], ["gone@example.com"]]
    assert handed_over_to("gone@example.com") == handed_over_to("new@example.com") == ["sent"]
    notice = outbox[1]
    assert "deactivated" in notice.body
    assert "nothing was created" in notice.body


def test_an_address_change_to_a_deactivated_accounts_address_sends_mail_as_to_a_free_one(
    outbox,
):
    UserFactory(email="gone@example.com", is_active=False)

    ask_to_move_to("free@example.org")
    ask_to_move_to("gone@example.com")

    assert handed_over_to("gone@example.com") == handed_over_to("free@example.org") == ["sent"]
    assert "Nothing was changed" in outbox[-1].body


def test_a_suppressed_address_answers_alike_with_or_without_an_account(outbox):
    UserFactory(email="gone@example.com", is_active=False)
    UserFactory(email="taken@example.com")
    for address in ("gone@example.com", "taken@example.com", "new@example.com"):
        Suppression.objects.create(address=address, reason="bounced")

    addresses = ("gone@example.com", "taken@example.com", "new@example.com")
    pages = {address: sign_up(address) for address in addresses}

    assert all(SEND_FAILED in page for page in pages.values())
    assert outbox == []
    assert {address: handed_over_to(address) for address in pages} == {
        address: ["suppressed"] for address in pages
    }
