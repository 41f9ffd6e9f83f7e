"""Confirming an e-mail address with a 6-digit code, held as a pending process in the session.

The process starts after sign-up or after a password sign-in of an unverified account.
A sign-up with an address that already has an account starts a *decoy* process: the same
page, the same messages, but no code exists, so the page reveals nothing.
"""

import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.codes import (
    MAX_FAILED_ATTEMPTS,
    CheckResult,
    CodeCheck,
    check_email_code,
    issue_email_code,
)
from accounts.models import EmailCode, User
from emailing.messages import Delivery, send_message

SESSION_KEY = "hygate.pending_verification"
CODE_LIFETIME = timedelta(minutes=15)
RESEND_COOLDOWN = timedelta(seconds=60)
PURPOSE = EmailCode.Purpose.VERIFY_EMAIL


@dataclass
class PendingVerification:
    """The session's record of an address waiting for its code."""

    email: str
    user_id: int | None
    next_url: str
    sent_at: float
    decoy_failures: int = 0

    @property
    def is_decoy(self) -> bool:
        return self.user_id is None

    def seconds_until_resend(self) -> int:
        wait = self.sent_at + RESEND_COOLDOWN.total_seconds() - time.time()
        return max(0, int(wait + 0.999))


class ResendOutcome(StrEnum):
    SENT = "sent"
    COOLDOWN = "cooldown"
    FAILED = "failed"


def _save(request: HttpRequest, pending: PendingVerification) -> None:
    request.session[SESSION_KEY] = asdict(pending)


def get_pending(request: HttpRequest) -> PendingVerification | None:
    """Return the verification waiting in this session, if any."""
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    try:
        return PendingVerification(**data)
    except TypeError:
        del request.session[SESSION_KEY]
        return None


def clear(request: HttpRequest) -> None:
    """Forget the pending verification."""
    request.session.pop(SESSION_KEY, None)


def send_verification_code(user: User) -> Delivery:
    """Issue a fresh code for the user's address (replacing the old one) and e-mail it."""
    code = issue_email_code(user, PURPOSE, CODE_LIFETIME)
    delivery = send_message(
        "verification_code",
        user.email,
        {"user": user, "code": code, "expires_minutes": int(CODE_LIFETIME.total_seconds() // 60)},
    )
    if not delivery.sent and settings.DEBUG:
        # Development only: let the developer go on when no mail could be sent.
        sys.stderr.write(f"[DEBUG] verification code for {user.email}: {code}\n")
    return delivery


def start(request: HttpRequest, user: User, next_url: str = "") -> Delivery:
    """Send the user a code and remember, in this session, that it is awaited."""
    delivery = send_verification_code(user)
    _save(request, PendingVerification(user.email, user.pk, next_url, time.time()))
    return delivery


def start_decoy(request: HttpRequest, email: str, next_url: str = "") -> None:
    """Show the code page for an address we will not verify, exactly as for a real one."""
    _save(request, PendingVerification(email, None, next_url, time.time()))


def resend(request: HttpRequest, pending: PendingVerification) -> ResendOutcome:
    """Send a new code unless the last one went out less than a minute ago."""
    if pending.seconds_until_resend() > 0:
        return ResendOutcome.COOLDOWN
    pending.sent_at = time.time()
    pending.decoy_failures = 0
    _save(request, pending)
    if pending.is_decoy:
        return ResendOutcome.SENT
    user = User.objects.filter(pk=pending.user_id, is_active=True).first()
    if user is None:
        return ResendOutcome.SENT
    return ResendOutcome.SENT if send_verification_code(user).sent else ResendOutcome.FAILED


def check(
    request: HttpRequest, pending: PendingVerification, code: str
) -> tuple[CheckResult, User | None]:
    """Check the typed code; on success mark the address verified and return the user."""
    if pending.is_decoy:
        return _check_decoy(request, pending), None
    user = User.objects.filter(pk=pending.user_id, is_active=True).first()
    if user is None:
        return CheckResult(CodeCheck.MISSING), None
    result = check_email_code(user, PURPOSE, code)
    if result.accepted:
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        clear(request)
        return result, user
    return result, None


def _check_decoy(request: HttpRequest, pending: PendingVerification) -> CheckResult:
    if time.time() >= pending.sent_at + CODE_LIFETIME.total_seconds():
        return CheckResult(CodeCheck.EXPIRED)
    if pending.decoy_failures >= MAX_FAILED_ATTEMPTS:
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    pending.decoy_failures += 1
    _save(request, pending)
    if pending.decoy_failures >= MAX_FAILED_ATTEMPTS:
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    return CheckResult(
        CodeCheck.INCORRECT, attempts_left=MAX_FAILED_ATTEMPTS - pending.decoy_failures
    )
