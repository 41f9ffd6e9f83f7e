"""One-time numeric codes: generate, hash with a server-side key, compare, and budget.

The budget is per account and purpose, in the database, so that neither new sessions,
new IP addresses nor new codes buy an attacker more guesses:

- a cooldown between two codes (per flow, e.g. 60 s for verification);
- SEND_QUOTA codes an hour;
- FAILURE_BUDGET wrong codes an hour, after which the step is locked for LOCK_TIME and
  the owner is told. A try is counted before its code is compared (check_within_budget),
  so no burst of guesses gets more. HYGATE_RATE_LIMITS=off does not turn any of this off.
"""

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import CodeBudget, EmailCode, User

CODE_DIGITS = 6
_KEY_SALT = "hygate.accounts.codes"


def generate_code() -> str:
    """Return a cryptographically random 6-digit code, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalise_code(raw: str) -> str:
    """Drop the spaces and dashes people type or paste around a code."""
    return "".join(ch for ch in raw if ch not in " -\t")


def hash_code(code: str, *, user_id: int, purpose: str, bound_to: str = "") -> str:
    """Return an HMAC-SHA256 of the code bound to its user, purpose and what it proves.

    The key derives from SECRET_KEY, so a database dump alone does not reveal codes;
    binding the user and purpose stops a hash from being replayed for another account.
    `bound_to` names what the code proves (a new address): a code sent to one address
    then proves nothing about another one asked for in a second session.
    """
    value = f"{user_id}:{purpose}:{code}"
    if bound_to:
        value = f"{value}:{bound_to}"
    return salted_hmac(_KEY_SALT, value, algorithm="sha256").hexdigest()


def code_matches(
    candidate: str, code_hash: str, *, user_id: int, purpose: str, bound_to: str = ""
) -> bool:
    """Say whether the candidate is the code behind code_hash, in constant time."""
    expected = hash_code(candidate, user_id=user_id, purpose=purpose, bound_to=bound_to)
    return constant_time_compare(expected, code_hash)


MAX_FAILED_ATTEMPTS = 3


class CodeCheck(StrEnum):
    """What checking a typed code (or a step-up's password and code) found."""

    ACCEPTED = "accepted"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (an outcome's name, not a password)
    INCORRECT = "incorrect"
    EXPIRED = "expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    USED = "used"
    MISSING = "missing"
    LOCKED = "locked"


@dataclass(frozen=True)
class CheckResult:
    outcome: CodeCheck
    attempts_left: int = 0
    wait_seconds: int = 0
    counted: bool = False  # a wrong code was compared with a live one: it spends the budget
    locked_now: bool = False  # this very code spent the budget: tell the owner

    @property
    def accepted(self) -> bool:
        return self.outcome is CodeCheck.ACCEPTED


def issue_email_code(user: User, purpose: str, lifetime: timedelta, *, bound_to: str = "") -> str:
    """Store a fresh code for the user and purpose, replacing any older one; return it."""
    code = generate_code()
    now = timezone.now()
    EmailCode.objects.update_or_create(
        user=user,
        purpose=purpose,
        defaults={
            "code_hash": hash_code(code, user_id=user.pk, purpose=purpose, bound_to=bound_to),
            "created_at": now,
            "expires_at": now + lifetime,
            "failed_attempts": 0,
            "used_at": None,
        },
    )
    return code


def check_email_code(
    user: User, purpose: str, candidate: str, *, bound_to: str = ""
) -> CheckResult:
    """Check a typed code, counting a wrong one and spending a right one atomically.

    Both counting and spending are conditional UPDATEs, so any number of guesses sent
    at once still kill the code after MAX_FAILED_ATTEMPTS wrong ones, and a right code
    is accepted once.
    """
    now = timezone.now()
    code = EmailCode.objects.filter(user=user, purpose=purpose).first()
    if code is None:
        return CheckResult(CodeCheck.MISSING)
    if code.used_at is not None:
        return CheckResult(CodeCheck.USED)
    if code.failed_attempts >= MAX_FAILED_ATTEMPTS:
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    if now >= code.expires_at:
        return CheckResult(CodeCheck.EXPIRED)

    live = EmailCode.objects.filter(
        pk=code.pk, used_at=None, failed_attempts__lt=MAX_FAILED_ATTEMPTS
    )
    if code_matches(candidate, code.code_hash, user_id=user.pk, purpose=purpose, bound_to=bound_to):
        if live.filter(expires_at__gt=now).update(used_at=now):
            return CheckResult(CodeCheck.ACCEPTED)
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)

    if not live.update(failed_attempts=F("failed_attempts") + 1):
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    failed = EmailCode.objects.values_list("failed_attempts", flat=True).get(pk=code.pk)
    if failed >= MAX_FAILED_ATTEMPTS:
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS, counted=True)
    return CheckResult(
        CodeCheck.INCORRECT, attempts_left=MAX_FAILED_ATTEMPTS - failed, counted=True
    )


SEND_QUOTA = 5
QUOTA_WINDOW = timedelta(hours=1)
FAILURE_BUDGET = 10
FAILURE_WINDOW = timedelta(hours=1)
LOCK_TIME = timedelta(hours=1)


class SendRefusal(StrEnum):
    """Why no new code may be sent now."""

    COOLDOWN = "cooldown"
    QUOTA = "quota"
    LOCKED = "locked"


@dataclass(frozen=True)
class SendClaim:
    """Whether a new code may go out now and, if not, why and for how long."""

    refused: SendRefusal | None = None
    wait_seconds: int = 0

    @property
    def allowed(self) -> bool:
        return self.refused is None


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds())) if moment else 0


def _budget(user_id: int, purpose: str) -> CodeBudget:
    budget, _ = CodeBudget.objects.get_or_create(user_id=user_id, purpose=purpose)
    return budget


def _window_over(field: str, cutoff: datetime) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": cutoff})


def _unlocked(now: datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lte=now)


def claim_send(user_id: int, purpose: str, cooldown: timedelta) -> SendClaim:
    """Take one code from the account's allowance, or say why none is left right now.

    One conditional UPDATE decides, so codes asked for at once from many sessions still
    leave one at a time.
    """
    now = timezone.now()
    budget = _budget(user_id, purpose)
    new_window = _window_over("sends_since", now - QUOTA_WINDOW)
    claimed = (
        CodeBudget.objects.filter(pk=budget.pk)
        .filter(_unlocked(now))
        .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - cooldown))
        .filter(new_window | Q(sends__lt=SEND_QUOTA))
        .update(
            last_sent_at=now,
            sends=Case(When(new_window, then=Value(1)), default=F("sends") + 1),
            sends_since=Case(When(new_window, then=Value(now)), default=F("sends_since")),
        )
    )
    if claimed:
        return SendClaim()
    budget.refresh_from_db()
    if budget.locked_until and budget.locked_until > now:
        return SendClaim(SendRefusal.LOCKED, _seconds_until(budget.locked_until, now))
    if budget.last_sent_at and budget.last_sent_at > now - cooldown:
        return SendClaim(SendRefusal.COOLDOWN, _seconds_until(budget.last_sent_at + cooldown, now))
    return SendClaim(SendRefusal.QUOTA, _seconds_until(budget.sends_since + QUOTA_WINDOW, now))


def release_cooldown(user_id: int, purpose: str) -> None:
    """Let a new code go out at once after a send that failed (the quota still counts it)."""
    CodeBudget.objects.filter(user_id=user_id, purpose=purpose).update(last_sent_at=None)


def seconds_until_next_code(user_id: int, purpose: str, cooldown: timedelta) -> int:
    """How long until the cooldown after the account's newest code is over."""
    sent = (
        CodeBudget.objects.filter(user_id=user_id, purpose=purpose)
        .values_list("last_sent_at", flat=True)
        .first()
    )
    return _seconds_until(sent + cooldown, timezone.now()) if sent else 0


def seconds_until_quota_allows(user_id: int, purpose: str) -> int:
    """How long until the account's hourly quota of codes lets one more go out (0: now)."""
    budget = (
        CodeBudget.objects.filter(user_id=user_id, purpose=purpose)
        .values("sends", "sends_since")
        .first()
    )
    if not budget or budget["sends"] < SEND_QUOTA or budget["sends_since"] is None:
        return 0
    return _seconds_until(budget["sends_since"] + QUOTA_WINDOW, timezone.now())


def seconds_locked(user_id: int, purpose: str) -> int:
    """How long the account's step stays locked after spending its failure budget (0: open)."""
    until = (
        CodeBudget.objects.filter(user_id=user_id, purpose=purpose)
        .values_list("locked_until", flat=True)
        .first()
    )
    return _seconds_until(until, timezone.now())


def _count_failure(user_id: int, purpose: str, now: datetime) -> int:
    """Count one try against an unlocked budget with room left; return 0 when there is none."""
    budget = _budget(user_id, purpose)
    new_window = _window_over("failures_since", now - FAILURE_WINDOW)
    rows = CodeBudget.objects.filter(pk=budget.pk).filter(_unlocked(now))
    rows = rows.filter(new_window | Q(failures__lt=FAILURE_BUDGET))
    return rows.update(
        failures=Case(When(new_window, then=Value(1)), default=F("failures") + 1),
        failures_since=Case(When(new_window, then=Value(now)), default=F("failures_since")),
    )


def _lock_if_spent(user_id: int, purpose: str, now: datetime) -> bool:
    return bool(
        CodeBudget.objects.filter(user_id=user_id, purpose=purpose, failures__gte=FAILURE_BUDGET)
        .filter(_unlocked(now))
        .update(locked_until=now + LOCK_TIME, failures=0, failures_since=None)
    )


def check_within_budget(
    user_id: int | None, purpose: str, check: Callable[[], CheckResult]
) -> CheckResult:
    """Run a code check under the account's failure budget, however many arrive at once.

    The try is counted *before* the code is compared and given back unless it was wrong
    (as a failed password is), so guesses sent at once from many sessions cannot all pass
    a lock that none of them has set yet: at most FAILURE_BUDGET are ever compared.
    """
    if user_id is None:
        return check()
    now = timezone.now()
    if not _count_failure(user_id, purpose, now):
        # Locked, or the budget is spent by tries still being checked (one of them locks).
        return CheckResult(
            CodeCheck.LOCKED,
            wait_seconds=seconds_locked(user_id, purpose) or int(LOCK_TIME.total_seconds()),
        )
    try:
        result = check()
    except BaseException:
        _give_back_failure(user_id, purpose)
        raise
    if not result.counted:
        _give_back_failure(user_id, purpose)
        return result
    if _lock_if_spent(user_id, purpose, timezone.now()):
        return CheckResult(
            CodeCheck.LOCKED, wait_seconds=seconds_locked(user_id, purpose), locked_now=True
        )
    return result


def _give_back_failure(user_id: int, purpose: str) -> None:
    CodeBudget.objects.filter(user_id=user_id, purpose=purpose, failures__gt=0).update(
        failures=Greatest(F("failures") - 1, 0)
    )
