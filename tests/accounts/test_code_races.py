"""Guesses sent all at once still kill a code after three wrong ones."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections

from accounts.codes import (
    CheckResult,
    CodeCheck,
    check_email_code,
    check_within_budget,
    claim_send,
    issue_email_code,
)
from accounts.models import CodeBudget, EmailCode
from tests.factories import UserFactory

PURPOSE = EmailCode.Purpose.VERIFY_EMAIL
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every write; this race needs PostgreSQL",
    ),
]


def guess_in_thread(user, code, purpose=PURPOSE):
    try:
        return check_email_code(user, purpose, code).outcome
    finally:
        connections.close_all()


@pytest.mark.parametrize("purpose", [PURPOSE, EmailCode.Purpose.SIGN_IN])
def test_twenty_simultaneous_wrong_guesses_count_as_at_most_three(purpose):
    user = UserFactory(unverified=purpose == PURPOSE)
    code = issue_email_code(user, purpose, timedelta(minutes=5))
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda _: guess_in_thread(user, wrong, purpose), range(20)))

    assert outcomes.count(CodeCheck.INCORRECT) <= 2
    assert EmailCode.objects.get(user=user).failed_attempts == 3
    assert check_email_code(user, purpose, code).outcome is CodeCheck.TOO_MANY_ATTEMPTS


def test_a_right_code_sent_twice_at_once_is_accepted_once():
    user = UserFactory(unverified=True)
    code = issue_email_code(user, PURPOSE, timedelta(minutes=15))

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: guess_in_thread(user, code), range(10)))

    assert outcomes.count(CodeCheck.ACCEPTED) == 1


def in_thread(function, *args):
    try:
        return function(*args)
    finally:
        connections.close_all()


def test_codes_asked_for_at_once_from_many_sessions_leave_one_at_a_time():
    user = UserFactory(unverified=True)
    CodeBudget.objects.create(user=user, purpose=PURPOSE)

    with ThreadPoolExecutor(max_workers=10) as pool:
        claims = list(
            pool.map(
                lambda _: in_thread(claim_send, user.pk, PURPOSE, timedelta(seconds=60)), range(10)
            )
        )

    assert sum(claim.allowed for claim in claims) == 1
    assert CodeBudget.objects.get(user=user).sends == 1


def wrong() -> CheckResult:
    return CheckResult(CodeCheck.INCORRECT, counted=True)


def test_a_burst_of_wrong_codes_locks_the_step_once():
    user = UserFactory(unverified=True)
    CodeBudget.objects.create(user=user, purpose=PURPOSE)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda _: in_thread(check_within_budget, user.pk, PURPOSE, wrong), range(20))
        )

    assert [result.locked_now for result in results].count(True) == 1
    assert CodeBudget.objects.get(user=user).locked_until is not None
