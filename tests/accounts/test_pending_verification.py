"""A waiting code page ends when it should, so an old session cannot use it later."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailbox import code_in, link_in

SIGNUP = reverse("accounts:signup")
VERIFY = reverse("accounts:verify")
RESEND = reverse("accounts:verify_resend")
LOGIN = reverse("accounts:login")
STRONG = "a long and unusual passphrase 42"

pytestmark = pytest.mark.django_db


def test_the_owner_taking_over_the_address_ends_a_strangers_code_page(client, outbox):
    # A stranger signs up with someone else's address and keeps the code page open.
    client.post(SIGNUP, {"email": "victim@example.com", "password": STRONG})
    # The real owner resets the password (which proves the address) and moves on.
    owner = Client()
    owner.post(reverse("accounts:password_reset"), {"email": "victim@example.com"})
    link = link_in(outbox[-1]).removeprefix("https://id.example.test")
    form = owner.get(link, follow=True)
    owner.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "the owner's own passphrase",
            "new_password2": "the owner's own passphrase",
        },
    )
    assert User.objects.get().is_verified

    with time_machine.travel("2026-11-28 10:00:00+00:00"):
        assert client.get(VERIFY)["Location"] == LOGIN
        sent = len(outbox)
        assert client.post(RESEND)["Location"] == LOGIN
        assert len(outbox) == sent
    assert "_auth_user_id" not in client.session


def test_a_password_change_ends_a_waiting_code(client, outbox):
    user = UserFactory(unverified=True)
    client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    code = code_in(outbox[-1])
    user.set_password("a different passphrase 1")
    user.save()

    response = client.post(VERIFY, {"code": code})
    assert response["Location"] == LOGIN
    user.refresh_from_db()
    assert not user.is_verified
    assert "_auth_user_id" not in client.session


def test_the_code_page_lasts_an_hour(client, outbox):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        client.post(SIGNUP, {"email": "n@example.com", "password": STRONG})
        traveller.shift(59 * 60)
        assert client.get(VERIFY).status_code == 200
        traveller.shift(2 * 60)
        assert client.get(VERIFY)["Location"] == LOGIN


def test_signing_in_again_within_a_minute_sends_no_second_code(client, outbox):
    user = UserFactory(unverified=True)
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        assert len(outbox) == 1
        assert "You can ask for a new code in 60 seconds." in client.get(VERIFY).content.decode()
        assert client.post(VERIFY, {"code": code_in(outbox[0])})["Location"] == "/"

        other = UserFactory(unverified=True)
        client.post(LOGIN, {"email": other.email, "password": DEFAULT_PASSWORD})
        traveller.shift(61)
        client.post(LOGIN, {"email": other.email, "password": DEFAULT_PASSWORD})
    assert [m.to for m in outbox[1:]] == [[other.email], [other.email]]


def test_the_decoy_page_answers_in_the_real_order(client, outbox):
    """Three wrong codes, then a long wait: both say 'too many tries', not 'expired'."""
    UserFactory(email="taken@example.com")
    answers = {}
    for email in ("taken@example.com", "fresh@example.com"):
        visitor = Client()
        with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
            visitor.post(SIGNUP, {"email": email, "password": STRONG})
            for _ in range(3):
                visitor.post(VERIFY, {"code": "999999"})
            traveller.shift(20 * 60)
            page = visitor.post(VERIFY, {"code": "999999"}, follow=True).content.decode()
        answers[email] = "too many wrong tries" in page
    assert answers == {"taken@example.com": True, "fresh@example.com": True}


def test_a_new_code_on_the_decoy_page_sends_the_owner_another_notice(client, outbox):
    UserFactory(email="taken@example.com")
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        client.post(SIGNUP, {"email": "taken@example.com", "password": STRONG})
        traveller.shift(61)
        response = client.post(RESEND, follow=True)
    assert "We sent a new code to taken@example.com." in response.content.decode()
    assert [m.to for m in outbox] == [["taken@example.com"], ["taken@example.com"]]
    assert all("tried to sign up" in m.subject for m in outbox)
    assert "https://id.example.test/accounts/login/" in outbox[0].body
