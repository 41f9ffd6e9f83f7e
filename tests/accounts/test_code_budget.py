"""Guessing a code from many sessions buys nothing: the account's budget is in the database.

The review found that seven sign-ins from one address made 21 guesses in 5 s and sent 7
e-mails, and that five sessions from five IP addresses made 15 guesses in a second.
"""

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import EmailCode, User
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailbox import code_in

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
RESEND = reverse("accounts:verify_resend")
SIGNUP = reverse("accounts:signup")

pytestmark = pytest.mark.django_db


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def stranger(n: int) -> Client:
    """A fresh browser from an IP address of its own."""
    return Client(REMOTE_ADDR=f"203.0.113.{n}")


def test_many_sign_ins_at_once_send_one_code_and_allow_three_guesses(outbox):
    victim = UserFactory(unverified=True)
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        sessions = [stranger(n) for n in range(7)]
        for session in sessions:
            response = session.post(LOGIN, {"email": victim.email, "password": DEFAULT_PASSWORD})
            assert response["Location"] == VERIFY
        assert len(outbox) == 1
        code = code_in(outbox[0])

        refusals = [
            session.post(VERIFY, {"code": wrong(code)}, follow=True).content.decode()
            for session in sessions
            for _ in range(3)
        ]

    assert EmailCode.objects.get(user=victim).failed_attempts == 3
    assert sum("That code is not right" in page for page in refusals) == 2
    assert sum("no longer works after too many wrong tries" in page for page in refusals) == 19
    assert not User.objects.get(pk=victim.pk).is_verified


def test_send_a_new_code_waits_for_the_account_not_for_the_session(outbox):
    user = UserFactory(unverified=True)
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        first = stranger(1)
        first.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        second = stranger(2)
        second.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        page = second.post(RESEND, follow=True).content.decode()

    assert len(outbox) == 1
    assert "A code was sent less than a minute ago" in page


def test_an_address_gets_at_most_five_codes_an_hour(outbox):
    user = UserFactory(unverified=True)
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        for n in range(6):
            page = stranger(n).post(
                LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, follow=True
            )
            traveller.shift(61)
        assert len(outbox) == 5
        assert "Several codes were sent to this address in the last hour" in page.content.decode()

        traveller.shift(60 * 60)
        stranger(9).post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        assert len(outbox) == 6


def test_ten_wrong_codes_lock_verification_for_an_hour_whatever_the_codes_and_sessions(
    outbox, settings
):
    settings.HYGATE_RATE_LIMITS = "off"  # the budget is not a rate limit: it stays on
    user = UserFactory(unverified=True)
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        pages = []
        for n in range(4):  # four codes, three wrong tries each: the 10th wrong one locks
            session = stranger(n)
            session.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
            code = code_in(outbox[-1])
            pages += [
                session.post(VERIFY, {"code": wrong(code)}, follow=True).content.decode()
                for _ in range(3)
            ]
            traveller.shift(61)

        assert "Entering codes is locked for 60 minutes" in pages[9]
        [notice] = [m for m in outbox if "locked" in m.subject]
        assert notice.to == [user.email]
        assert "too many wrong codes" in notice.body

        # The right code of a new sign-in is refused while the lock holds, and no code is sent.
        owner = stranger(99)
        sent = len(outbox)
        owner.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        assert len(outbox) == sent
        refused = owner.post(VERIFY, {"code": code}, follow=True)
        assert "Entering codes is locked" in refused.content.decode()

        traveller.shift(60 * 60)
        owner.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        assert len(outbox) == sent + 1
        landed = owner.post(VERIFY, {"code": code_in(outbox[-1])})
        assert landed["Location"] == "/"


def test_a_decoy_for_a_verified_address_answers_like_a_real_account(outbox):
    owner = UserFactory(email="taken@example.com")
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        first = stranger(1)
        first.post(SIGNUP, {"email": owner.email, "password": "a long and unusual passphrase 42"})
        second = stranger(2)
        second.post(SIGNUP, {"email": owner.email, "password": "a long and unusual passphrase 42"})
        page = second.post(RESEND, follow=True).content.decode()

    assert "A code was sent less than a minute ago" in page
    assert len(outbox) == 1  # one notice to the owner, however many sessions try


def test_purge_expired_removes_accounts_never_verified_after_seven_days(outbox):
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False):
        stale = UserFactory(unverified=True)
        kept_verified = UserFactory()
        stranger(1).post(LOGIN, {"email": stale.email, "password": DEFAULT_PASSWORD})
    with time_machine.travel("2026-11-07 09:00:00+00:00", tick=False):
        recent = UserFactory(unverified=True)
    with time_machine.travel("2026-11-08 10:00:01+00:00", tick=False):
        call_command("purge_expired", stdout=(out := __import__("io").StringIO()))

    assert set(User.objects.values_list("pk", flat=True)) == {kept_verified.pk, recent.pk}
    assert not EmailCode.objects.exists()
    assert "accounts never verified removed: 1" in out.getvalue()
