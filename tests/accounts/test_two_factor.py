"""The second factors themselves: authenticator codes, recovery codes, the site's policy."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection, connections

from tests.accounts.totp_app import app_code
from tests.factories import (
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from twofactor import authenticators, verify
from twofactor import policy as site_policy
from twofactor.models import Authenticator, RecoveryCode

NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)
OLD_KEY = "PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8="
KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled():
    return AuthenticatorFactory(key=KEY).user


@time_machine.travel(NOON, tick=False)
def test_an_accepted_time_step_never_works_again(enrolled):
    code = app_code(KEY)
    assert verify.verify_totp(enrolled, code)
    assert not verify.verify_totp(enrolled, code)
    # Nor an earlier step still inside the drift window, once a later one passed.
    assert not verify.verify_totp(enrolled, app_code(KEY, -1))
    assert verify.verify_totp(enrolled, app_code(KEY, +1))


@time_machine.travel(NOON, tick=False)
def test_a_replayed_step_is_refused_from_another_session_too(client, enrolled):
    code = app_code(KEY)
    assert verify.verify_totp(enrolled, code)
    # Another request, another process: the refusal lives in the database, not the session.
    fresh = type(enrolled).objects.get(pk=enrolled.pk)
    assert not verify.verify_totp(fresh, code)
    assert Authenticator.objects.get(user=enrolled).last_used_step == int(NOON.timestamp()) // 30


@time_machine.travel(NOON, tick=False)
def test_the_code_that_confirmed_enrolment_cannot_sign_in():
    user = UserFactory()
    secret, uri, qr_svg = authenticators.begin_enrolment(user)
    assert uri.startswith(f"otpauth://totp/Hygate:{user.email}?secret={secret}&issuer=Hygate")
    assert qr_svg.startswith("<svg")
    code = app_code(secret)
    assert authenticators.confirm_enrolment(user, code) is not None
    assert not verify.verify_totp(user, code)


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
@time_machine.travel(NOON, tick=False)
def test_one_step_of_clock_drift_is_accepted_and_two_are_not(enrolled, offset, accepted):
    assert verify.verify_totp(enrolled, app_code(KEY, offset)) is accepted


@time_machine.travel(NOON, tick=False)
def test_an_unconfirmed_authenticator_does_not_count():
    pending = AuthenticatorFactory(key=KEY, unconfirmed=True)
    assert not verify.verify_totp(pending.user, app_code(KEY))
    assert not Authenticator.objects.filter(user=pending.user, confirmed_at__isnull=False).exists()
    assert site_policy.required_for(pending.user) is None


def test_garbage_is_refused_without_error(enrolled):
    for typed in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "x" * 5000):
        assert not verify.verify_totp(enrolled, typed)
        assert verify.use_recovery_code(enrolled, typed) is None


def test_recovery_codes_work_once_each_and_the_notice_says_how_many_remain(enrolled, outbox):
    codes = authenticators.regenerate_recovery_codes(enrolled)
    assert all(re.fullmatch(r"[a-z2-7]{5}-[a-z2-7]{5}", code) for code in codes)
    outbox.clear()

    assert verify.use_recovery_code(enrolled, codes[0]) == 9
    assert verify.use_recovery_code(enrolled, codes[0]) is None
    # Case, spaces and dashes do not matter.
    typed = codes[1].upper().replace("-", " ")
    assert verify.use_recovery_code(enrolled, f"  {typed} ") == 8

    first, second = outbox
    assert "a recovery code was used" in first.subject
    assert "You have 9 recovery codes left." in first.body
    assert "You have 8 recovery codes left." in second.body
    assert codes[0] not in first.body


def test_the_last_recovery_code_says_none_are_left(enrolled, outbox):
    RecoveryCodeFactory(user=enrolled, code="aaaaa-bbbbb")
    assert verify.use_recovery_code(enrolled, "aaaaabbbbb") == 0
    assert "You have no recovery codes left." in outbox[-1].body
    assert Authenticator.objects.filter(user=enrolled, confirmed_at__isnull=False).exists()
    assert not RecoveryCode.objects.filter(user=enrolled, used_at=None).exists()


def test_a_recovery_code_belongs_to_one_user(enrolled):
    RecoveryCodeFactory(code="aaaaa-bbbbb")
    assert verify.use_recovery_code(enrolled, "aaaaa-bbbbb") is None


@pytest.mark.parametrize(
    ("policy", "with_app", "without_app"),
    [
        ("off", "totp", None),
        ("email", "email", "email"),
        ("totp", "totp", "enrol"),
        ("either", "either", "email"),
    ],
)
def test_the_policy_decides_the_second_step(policy, with_app, without_app):
    SecurityPolicyFactory(two_factor_policy=policy)
    assert site_policy.required_for(AuthenticatorFactory().user) == with_app
    assert site_policy.required_for(UserFactory()) == without_app


def test_the_default_policy_is_off():
    assert site_policy.current_policy() == "off"
    assert site_policy.required_for(UserFactory()) is None


def test_recovery_codes_are_accepted_under_every_policy(enrolled):
    RecoveryCodeFactory(user=enrolled)
    for name in ("off", "email", "totp", "either"):
        SecurityPolicyFactory(two_factor_policy=name)
        assert "recovery" in site_policy.accepted_methods(enrolled)
    assert site_policy.accepted_methods(enrolled) == {"email", "totp", "recovery"}


def test_staff_may_be_required_to_use_an_app_whatever_the_policy(settings):
    staff = UserFactory(staff=True)
    assert site_policy.required_for(staff) is None
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    assert site_policy.required_for(staff) == "enrol"
    assert site_policy.required_for(UserFactory()) is None


def test_enrolling_again_while_an_app_is_active_is_refused(enrolled):
    with pytest.raises(authenticators.AlreadyEnrolled):
        authenticators.begin_enrolment(enrolled)
    assert Authenticator.objects.get(user=enrolled).get_secret() == KEY


@time_machine.travel(NOON, tick=False)
def test_the_secret_and_recovery_codes_are_not_readable_in_the_database():
    user = UserFactory()
    secret, _, _ = authenticators.begin_enrolment(user)
    codes = authenticators.confirm_enrolment(user, app_code(secret))

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_authenticator")
        app_rows = str(cursor.fetchall())
        cursor.execute("SELECT * FROM accounts_recoverycode")
        recovery_rows = str(cursor.fetchall())
    assert secret not in app_rows and secret.lower() not in app_rows
    assert "argon2" in recovery_rows  # a salted slow hash
    for code in codes:
        assert code not in recovery_rows and code.replace("-", "") not in recovery_rows
    hashes = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(set(hashes)) == 10


def test_rotating_the_key_re_encrypts_the_authenticator_secret(settings, capsys):
    authenticator = AuthenticatorFactory(key=KEY)
    before = authenticator.secret
    new = Fernet.generate_key().decode()
    settings.HYGATE_ENCRYPTION_KEY = [new, OLD_KEY]

    call_command("rotate_encryption_key")
    assert "Re-encrypted 1 stored secret(s)" in capsys.readouterr().out

    settings.HYGATE_ENCRYPTION_KEY = [new]
    authenticator.refresh_from_db()
    assert authenticator.secret != before
    assert authenticator.get_secret() == KEY


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite serialises every write; this needs PostgreSQL"
)
def test_a_recovery_code_sent_twice_at_once_is_accepted_once():
    user = AuthenticatorFactory().user
    RecoveryCodeFactory(user=user, code="aaaaa-bbbbb")

    def use(_):
        try:
            return verify.use_recovery_code(user, "aaaaa-bbbbb")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(use, range(8)))
    assert outcomes.count(0) == 1
    assert outcomes.count(None) == 7


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite serialises every write; this needs PostgreSQL"
)
def test_one_authenticator_code_sent_twice_at_once_is_accepted_once():
    user = AuthenticatorFactory(key=KEY).user
    code = app_code(KEY)

    def verify(_):
        try:
            return verify.verify_totp(user, code)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(verify, range(8)))
    assert outcomes.count(True) == 1
