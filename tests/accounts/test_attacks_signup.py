"""Attacks on sign-up by a stranger who wants to learn which addresses have accounts."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

SIGNUP = reverse("accounts:signup")
VERIFY = reverse("accounts:verify")
RESEND = reverse("accounts:verify_resend")
STRONG = "a long and unusual passphrase 42"

pytestmark = pytest.mark.django_db


def what_a_stranger_sees(email: str, network: int) -> list[str]:
    """Sign up with the address, then ask for new codes and guess; return what each page says."""
    seen = []
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        for n in range(2):  # two browsers: the cooldown is the account's, not the session's
            browser = Client(REMOTE_ADDR=f"203.0.{network}.{n}")
            browser.post(SIGNUP, {"email": email, "password": STRONG})
            page = browser.post(RESEND, follow=True).content.decode()
            seen.append("A code was sent less than a minute ago" in page)
        for _ in range(6):
            traveller.shift(61)
            page = browser.post(RESEND, follow=True).content.decode()
            seen.append("Several codes were sent to this address in the last hour" in page)
    return seen


def test_a_deactivated_accounts_address_answers_like_a_new_one(outbox):
    UserFactory(email="gone@example.com", is_active=False)

    seen = what_a_stranger_sees("gone@example.com", 1)

    assert seen == what_a_stranger_sees("new@example.com", 2)
    assert seen == [True, True, False, False, False, False, True, True]


# No address in it: names with web or e-mail addresses or phone numbers are refused outright.
LURE = "Your account is suspended, reply to this mail to re-activate it"


def test_a_strangers_words_never_reach_the_owner_through_a_reset_link(client, outbox):
    from tests.mailbox import html_of, link_in

    client.post(SIGNUP, {"email": "owner@example.com", "password": STRONG, "name": LURE})
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    stranger.post(reverse("accounts:password_reset"), {"email": "owner@example.com"})
    reset = outbox[-1]
    assert "reset" in reset.subject.lower()
    for message in outbox:
        assert "suspended" not in message.body
        assert "suspended" not in html_of(message)

    # The owner takes the account over with the link: the stranger's words go with it.
    owner = Client()
    form = owner.get(link_in(reset).removeprefix("https://id.example.test"), follow=True)
    new = "the owner's own passphrase 91"
    owner.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    landed = owner.post(
        reverse("accounts:login"), {"email": "owner@example.com", "password": new}, follow=True
    )
    assert landed.redirect_chain == [("/", 302)]
    assert "suspended" not in landed.content.decode()
