"""Attacks on the second step by someone who knows the password but not the second factor."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import CodeBudget, EmailCode
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.mailbox import code_in, link_in
from twofactor import totp
from twofactor.models import Authenticator

LOGIN = reverse("accounts:login")
STEP = reverse("accounts:login_2fa")

only_on_postgresql = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises every write; this race needs PostgreSQL",
)


def browsers_past_the_password(member, count: int) -> list[Client]:
    """Sign in with the password from `count` browsers, each at the second step."""
    browsers = []
    for n in range(count):
        browser = Client(REMOTE_ADDR=f"198.51.100.{n}")
        response = browser.post(LOGIN, {"email": member.email, "password": DEFAULT_PASSWORD})
        assert response["Location"] == STEP
        browsers.append(browser)
    return browsers


def all_at_once(browsers: list[Client], form: dict) -> list[str]:
    """Post the form from every browser at the same moment; return the pages."""
    start = threading.Barrier(len(browsers))

    def post(browser: Client) -> str:
        try:
            start.wait()
            # A refused code answers 303 back to the step (post/redirect/get): follow it.
            return browser.post(STEP, form, follow=True).content.decode()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        return list(pool.map(post, browsers))


def a_code_the_app_does_not_show(secret: str) -> str:
    step = totp.current_step()
    live = {totp.code_at(secret, s) for s in range(step - 2, step + 3)}
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in live)


@only_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_app_codes_guessed_from_thirty_browsers_at_once_get_at_most_ten_tries(settings):
    settings.HYGATE_RATE_LIMITS = "off"  # the lock must hold without them
    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()
    authenticator = AuthenticatorFactory(user=member)
    wrong = a_code_the_app_does_not_show(authenticator.get_secret())
    browsers = browsers_past_the_password(member, 30)

    pages = all_at_once(browsers, {"action": "verify", "code": wrong})

    compared = [p for p in pages if "That code is not right" in p]
    assert len(compared) <= 9  # the tenth wrong code locks the step
    assert all("Its second step is locked" in p for p in pages if p not in compared)
    assert CodeBudget.objects.get(user=member, purpose=EmailCode.Purpose.SIGN_IN).locked_until


@only_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_recovery_codes_guessed_from_thirty_browsers_at_once_get_at_most_ten_tries(settings):
    settings.HYGATE_RATE_LIMITS = "off"
    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()
    AuthenticatorFactory(user=member)
    RecoveryCodeFactory(user=member, code="abcde-fghij")
    browsers = browsers_past_the_password(member, 30)

    pages = all_at_once(browsers, {"action": "recovery", "recovery_code": "zzzzz-zzzzz"})

    refused = [p for p in pages if "That recovery code is not right" in p]
    assert len(refused) <= 9
    assert all("Its second step is locked" in p for p in pages if p not in refused)


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["off", "totp"])
def test_send_a_new_code_mails_nothing_where_only_the_app_is_accepted(client, outbox, policy):
    SecurityPolicyFactory(two_factor_policy=policy)
    member = UserFactory()
    AuthenticatorFactory(user=member)
    [browser] = browsers_past_the_password(member, 1)

    browser.post(STEP, {"action": "resend"})
    browser.post(STEP, {"action": "switch", "method": "email"})

    assert outbox == []
    assert "authenticator app shows" in browser.get(STEP).content.decode()


@only_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_password_sign_ins_at_once_send_at_most_the_hourly_quota_of_codes(settings, outbox):
    settings.HYGATE_RATE_LIMITS = "off"
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    browsers = [Client(REMOTE_ADDR=f"198.51.100.{n}") for n in range(20)]
    start = threading.Barrier(len(browsers))

    def sign_in(browser: Client) -> int:
        try:
            start.wait()
            login = {"email": member.email, "password": DEFAULT_PASSWORD}
            return browser.post(LOGIN, login).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        statuses = list(pool.map(sign_in, browsers))

    assert statuses == [302] * 20
    assert 1 <= len(outbox) <= 5
    assert EmailCode.objects.filter(user=member).count() == 1


def type_code(browser: Client, code: str):
    return browser.post(STEP, {"action": "verify", "code": code})


@pytest.mark.django_db
def test_a_pending_sign_in_dies_when_the_owner_resets_the_password_meanwhile(outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    [thief] = browsers_past_the_password(member, 1)
    code = code_in(outbox[-1])

    owner = Client()
    owner.post(reverse("accounts:password_reset"), {"email": member.email})
    form = owner.get(link_in(outbox[-1]).removeprefix("https://id.example.test"), follow=True)
    new = "the owner's own passphrase 91"
    owner.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    assert type_code(thief, code)["Location"] == LOGIN
    assert "_auth_user_id" not in thief.session


@pytest.mark.django_db
def test_a_pending_sign_in_dies_when_the_account_is_deactivated_meanwhile(outbox):
    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()
    [browser] = browsers_past_the_password(member, 1)
    type_code(browser, code_in(outbox[-1]))  # the inbox, then the app is to be set up
    member.is_active = False
    member.save()

    assert browser.get(reverse("accounts:login_enrol"))["Location"] == LOGIN
    assert browser.post(reverse("accounts:login_enrol"), {"code": "123456"})["Location"] == LOGIN
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_the_app_cannot_be_set_up_with_the_password_alone(outbox):
    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()
    [thief] = browsers_past_the_password(member, 1)
    enrol = reverse("accounts:login_enrol")

    for guess in ("000000", "123456", "999999"):
        type_code(thief, guess)
    assert thief.get(enrol)["Location"] == STEP
    assert thief.post(enrol, {"code": "123456"})["Location"] == STEP
    thief.post(STEP, {"action": "switch", "method": "totp"})
    thief.post(STEP, {"action": "recovery", "recovery_code": "abcde-fghij"})
    assert thief.get(enrol)["Location"] == STEP
    assert not Authenticator.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_the_sign_in_set_up_never_offers_a_key_begun_elsewhere(outbox):
    """A key someone once began on the security page, never confirmed, is not adopted."""
    from tests.accounts.totp_app import shown_secret

    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()
    planted = totp.new_secret()
    AuthenticatorFactory(user=member, key=planted, unconfirmed=True)
    [browser] = browsers_past_the_password(member, 1)
    enrol = reverse("accounts:login_enrol")

    assert type_code(browser, code_in(outbox[-1]))["Location"] == enrol
    shown = shown_secret(browser.get(enrol).content.decode())

    assert shown != planted
    assert shown_secret(browser.get(enrol).content.decode()) == shown  # a GET changes nothing
