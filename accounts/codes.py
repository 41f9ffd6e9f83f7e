"""One-time numeric codes: generate, hash with a server-side key, compare in constant time."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import EmailCode, User

CODE_DIGITS = 6
_KEY_SALT = "hygate.accounts.codes"


def generate_code() -> str:
    """Return a cryptographically random 6-digit code, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalise_code(raw: str) -> str:
    """Drop the spaces and dashes people type or paste around a code."""
    return "".join(ch for ch in raw if ch not in " -\t")


def hash_code(code: str, *, user_id: int, purpose: str) -> str:
    """Return an HMAC-SHA256 of the code bound to its user and purpose.

    The key derives from SECRET_KEY, so a database dump alone does not reveal codes;
    binding the user and purpose stops a hash from being replayed for another account.
    """
    value = f"{user_id}:{purpose}:{code}"
    return salted_hmac(_KEY_SALT, value, algorithm="sha256").hexdigest()


def code_matches(candidate: str, code_hash: str, *, user_id: int, purpose: str) -> bool:
    """Say whether the candidate is the code behind code_hash, in constant time."""
    return constant_time_compare(hash_code(candidate, user_id=user_id, purpose=purpose), code_hash)


MAX_FAILED_ATTEMPTS = 3


class CodeCheck(StrEnum):
    """What checking a typed code found."""

    ACCEPTED = "accepted"
    INCORRECT = "incorrect"
    EXPIRED = "expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    USED = "used"
    MISSING = "missing"


@dataclass(frozen=True)
class CheckResult:
    outcome: CodeCheck
    attempts_left: int = 0

    @property
    def accepted(self) -> bool:
        return self.outcome is CodeCheck.ACCEPTED


def issue_email_code(user: User, purpose: str, lifetime: timedelta) -> str:
    """Store a fresh code for the user and purpose, replacing any older one; return it."""
    code = generate_code()
    now = timezone.now()
    EmailCode.objects.update_or_create(
        user=user,
        purpose=purpose,
        defaults={
            "code_hash": hash_code(code, user_id=user.pk, purpose=purpose),
            "created_at": now,
            "expires_at": now + lifetime,
            "failed_attempts": 0,
            "used_at": None,
        },
    )
    return code


def check_email_code(user: User, purpose: str, candidate: str) -> CheckResult:
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
    if code_matches(candidate, code.code_hash, user_id=user.pk, purpose=purpose):
        if live.filter(expires_at__gt=now).update(used_at=now):
            return CheckResult(CodeCheck.ACCEPTED)
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)

    if not live.update(failed_attempts=F("failed_attempts") + 1):
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    failed = EmailCode.objects.values_list("failed_attempts", flat=True).get(pk=code.pk)
    if failed >= MAX_FAILED_ATTEMPTS:
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    return CheckResult(CodeCheck.INCORRECT, attempts_left=MAX_FAILED_ATTEMPTS - failed)
