"""Attacks on the account's own pages: changing the address, the undo link, the step-up."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, UserSession
from tests.accounts.totp_app import app_code, shown_secret
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, UserFactory
from tests.mailbox import code_in, link_in
from twofactor import authenticators
from twofactor.models import Authenticator, RecoveryCode

CHANGE = reverse("accounts:email_change")
CONFIRM = reverse("accounts:email_change_confirm")
PASSWORD = reverse("accounts:security_reauthenticate")
LOGIN = reverse("accounts:login")

pytestmark = pytest.mark.django_db


def sign_in(user, ip="198.51.100.7") -> Client:
    client = Client(REMOTE_ADDR=ip)
    assert (
        client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})["Location"] == "/"
    )
    return client


def ask_for(client, new):
    client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": CHANGE})
    return client.post(CHANGE, {"email": new})


def mail_to(outbox, address):
    return [m for m in outbox if m.to == [address]]


def test_a_code_sent_to_ones_own_new_address_cannot_claim_someone_elses(outbox):
    # Eve asks for a stranger's free address in one browser, then for her own in another:
    # the code her own inbox gets must not confirm the stranger's address.
    eve = UserFactory(email="eve@example.com")
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        laptop = sign_in(eve)
        ask_for(laptop, "ceo@example.org")
        clock.shift(timedelta(seconds=61))
        phone = sign_in(eve, ip="203.0.113.9")
        ask_for(phone, "eve.new@example.org")
        [own] = mail_to(outbox, "eve.new@example.org")

        answer = laptop.post(CONFIRM, {"code": code_in(own)}, follow=True)

    assert answer.status_code == 400
    assert User.objects.get(pk=eve.pk).email == "eve@example.com"
    assert not User.objects.filter(email__iexact="ceo@example.org").exists()


def answer_after_a_password_change(address: str) -> tuple[int, str]:
    """Ask for an address, change one's own password, then come back to the code page."""
    eve = UserFactory()
    laptop = sign_in(eve)
    ask_for(laptop, address)
    new = "a fresh passphrase for spring"
    laptop.post(
        reverse("accounts:password_change"),
        {"current_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new},
    )
    response = laptop.get(CONFIRM)
    return response.status_code, response.get("Location", "")


def test_changing_ones_own_password_does_not_tell_which_addresses_have_accounts(outbox):
    UserFactory(email="taken@example.org")

    taken = answer_after_a_password_change("taken@example.org")
    free = answer_after_a_password_change("free@example.org")

    assert taken == free == (302, CHANGE)


def mail_after_ten_wrong_codes(address: str, outbox) -> list[str]:
    """Spend the account's whole failure budget on codes for an address; return its mail."""
    eve = UserFactory()
    resend = reverse("accounts:email_change_resend")
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        laptop = sign_in(eve)
        ask_for(laptop, address)
        for attempt in range(10):
            if attempt and attempt % 3 == 0:
                clock.shift(timedelta(seconds=61))
                laptop.post(resend)
            laptop.post(CONFIRM, {"code": "000000" if attempt % 2 else "999999"})
    return [m.subject for m in mail_to(outbox, eve.email)]


def test_the_lock_after_ten_wrong_codes_is_announced_whether_or_not_the_address_is_taken(outbox):
    UserFactory(email="taken@example.org")

    taken = mail_after_ten_wrong_codes("taken@example.org", outbox)
    free = mail_after_ten_wrong_codes("free@example.org", outbox)

    assert taken == free
    assert [subject for subject in free if "Too many wrong codes" in subject]


def thief_moves_the_account(mia, outbox, clock) -> tuple[Client, str]:
    """Someone with Mia's password moves her account to their address; return her undo link."""
    thief = sign_in(mia, ip="203.0.113.66")
    ask_for(thief, "thief@example.org")
    [code_mail] = mail_to(outbox, "thief@example.org")
    assert thief.post(CONFIRM, {"code": code_in(code_mail)}).status_code == 302
    [notice] = mail_to(outbox, "mia@example.com")
    clock.shift(timedelta(seconds=61))
    return thief, link_in(notice).removeprefix("https://id.example.test")


def test_moving_the_account_on_again_does_not_kill_the_owners_undo_link(outbox):
    mia = UserFactory(email="mia@example.com")
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        thief, undo = thief_moves_the_account(mia, outbox, clock)
        again = ask_for(thief, "thief2@example.org")
        assert "You can change it again from" in again.content.decode()
        for code_mail in mail_to(outbox, "thief2@example.org"):
            thief.post(CONFIRM, {"code": code_in(code_mail)})

        done = Client().post(undo)

    assert done.status_code == 200
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"


def test_signing_up_with_the_owners_old_address_does_not_kill_the_undo_link(outbox):
    mia = UserFactory(email="mia@example.com")
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        _thief, undo = thief_moves_the_account(mia, outbox, clock)
        Client().post(
            reverse("accounts:signup"),
            {"email": "mia@example.com", "password": "squatting on her address"},
        )
        assert User.objects.filter(email="mia@example.com", email_verified_at=None).exists()

        done = Client().post(undo)

    assert done.status_code == 200
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"
    assert User.objects.filter(email__iexact="mia@example.com").count() == 1


def test_every_change_to_how_the_account_signs_in_asks_for_the_step_up_posts_included(outbox):
    authenticator = AuthenticatorFactory()
    mia = authenticator.user
    authenticators.regenerate_recovery_codes(mia)
    recovery_before = set(RecoveryCode.objects.filter(user=mia).values_list("code_hash", flat=True))
    laptop = Client()
    laptop.force_login(mia)
    other = UserSession.objects.create(
        user=mia, key_hash="0" * 64, session_key="x", created_at=timezone.now()
    )
    changes = {
        reverse("accounts:security_authenticator"): {"action": "start"},
        reverse("accounts:security_remove_authenticator"): {},
        reverse("accounts:security_recovery_codes"): {},
        reverse("accounts:security_end_other_sessions"): {},
        reverse("accounts:security_end_session", args=[other.pk]): {},
        CHANGE: {"email": "new@example.org"},
    }
    for url, data in changes.items():
        assert laptop.post(url, data)["Location"].startswith(PASSWORD), url

    after = set(RecoveryCode.objects.filter(user=mia).values_list("code_hash", flat=True))
    assert after == recovery_before
    assert Authenticator.objects.filter(user=mia, confirmed_at__isnull=False).count() == 1
    assert UserSession.objects.filter(pk=other.pk).exists()
    assert User.objects.get(pk=mia.pk).email == mia.email
    assert not mail_to(outbox, "new@example.org")


def test_the_session_key_from_before_the_step_up_no_longer_signs_in():
    mia = UserFactory()
    laptop = sign_in(mia)
    before = laptop.cookies[settings.SESSION_COOKIE_NAME].value

    laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": CHANGE})

    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = before
    assert stolen.get("/")["Location"].startswith(LOGIN)
    assert stolen.get(CHANGE)["Location"].startswith(LOGIN)
    assert laptop.get(CHANGE).status_code == 200


def test_deleting_an_account_ends_its_sessions():
    mia = UserFactory()
    laptop = sign_in(mia)

    mia.delete()

    assert laptop.get("/")["Location"].startswith(LOGIN)


def test_an_app_the_thief_set_up_does_not_lock_the_owner_out_after_the_undo(outbox):
    mia = UserFactory(email="mia@example.com")
    with time_machine.travel("2026-03-02 09:00:10+00:00", tick=False) as clock:
        thief, undo = thief_moves_the_account(mia, outbox, clock)
        thief.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": "/accounts/security/"})
        enrol = reverse("accounts:security_authenticator")
        # The first app needs a code from the inbox: the thief's own, after the move.
        reenrol = reverse("accounts:security_reenrol")
        thief.post(reenrol, {"action": "send"})
        [code_mail] = [m for m in mail_to(outbox, "thief@example.org") if m != outbox[0]][-1:]
        thief.post(reenrol, {"action": "verify", "code": code_in(code_mail)})
        thief.post(enrol, {"action": "start"})
        secret = shown_secret(thief.get(enrol).content.decode())
        thief.post(enrol, {"action": "confirm", "code": app_code(secret)})
        assert Authenticator.objects.filter(user=mia, confirmed_at__isnull=False).exists()

        assert Client().post(undo).status_code == 200
        [reset] = [m for m in mail_to(outbox, "mia@example.com") if "reset" in m.subject.lower()]
        owner = Client()
        form = owner.get(link_in(reset).removeprefix("https://id.example.test"), follow=True)
        new = "my own fresh passphrase"
        owner.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

        back_in = owner.post(LOGIN, {"email": "mia@example.com", "password": new})

    assert back_in["Location"] == "/"
