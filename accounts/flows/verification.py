"""Confirming an e-mail address with a 6-digit code, held as a pending process in the session.

The process starts after sign-up or after a password sign-in of an unverified account. It
lives an hour at most, and ends early once the address is verified or the password changes,
so an old browser session can never use a code to get into an account that moved on.

A sign-up with an address that already has an account starts a *decoy* process: the same
page, the same messages and the same e-mail traffic (the owner gets a notice), but no code
exists, so the page reveals nothing.
"""

import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

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
PENDING_LIFETIME = timedelta(hours=1)
PURPOSE = EmailCode.Purpose.VERIFY_EMAIL


@dataclass
class PendingVerification:
    """The session's record of an address waiting for its code."""

    email: str
    user_id: int | None
    next_url: str
    sent_at: float
    started_at: float
    auth_hash: str = ""
    decoy_failures: int = 0

    @property
    def is_decoy(self) -> bool:
        return self.user_id is None

    @property
    def expired(self) -> bool:
        return time.time() >= self.started_at + PENDING_LIFETIME.total_seconds()

    def seconds_until_resend(self) -> int:
        wait = self.sent_at + RESEND_COOLDOWN.total_seconds() - time.time()
        return max(0, int(wait + 0.999))


class ResendOutcome(StrEnum):
    SENT = "sent"
    COOLDOWN = "cooldown"
    FAILED = "failed"


def _save(request: HttpRequest, pending: PendingVerification) -> None:
    request.session[SESSION_KEY] = asdict(pending)


def _waiting_user(pending: PendingVerification) -> User | None:
    """The user this process may still verify: active, unverified, password unchanged."""
    if pending.is_decoy:
        return None
    user = User.objects.filter(pk=pending.user_id, is_active=True).first()
    if user is None or user.is_verified:
        return None
    if not constant_time_compare(user.get_session_auth_hash(), pending.auth_hash):
        return None
    return user


def get_pending(request: HttpRequest) -> PendingVerification | None:
    """Return the verification still waiting in this session, if any."""
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    try:
        pending = PendingVerification(**data)
    except TypeError:
        pending = None
    if pending is None or pending.expired:
        clear(request)
        return None
    if not pending.is_decoy and _waiting_user(pending) is None:
        clear(request)
        return None
    return pending


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


def send_account_exists_notice(owner: User) -> Delivery:
    """Tell an account's owner that someone tried to sign up with their address."""
    return send_message(
        "account_exists",
        owner.email,
        {
            "user": owner,
            "login_url": settings.HYGATE_SITE_URL + reverse("accounts:login"),
            "reset_url": settings.HYGATE_SITE_URL + reverse("accounts:password_reset"),
        },
    )


def _recent_code_sent_at(user: User) -> float | None:
    """When the user's live code went out, if that was within the resend cooldown."""
    code = EmailCode.objects.filter(
        user=user,
        purpose=PURPOSE,
        used_at=None,
        failed_attempts__lt=MAX_FAILED_ATTEMPTS,
        created_at__gt=timezone.now() - RESEND_COOLDOWN,
    ).first()
    return code.created_at.timestamp() if code else None


def start(request: HttpRequest, user: User, next_url: str = "") -> Delivery:
    """Send the user a code (unless one just went out) and remember that it is awaited."""
    sent_at = _recent_code_sent_at(user)
    delivery = Delivery(sent=True)
    if sent_at is None:
        delivery = send_verification_code(user)
        sent_at = time.time()
    now = time.time()
    _save(
        request,
        PendingVerification(
            user.email, user.pk, next_url, sent_at, now, user.get_session_auth_hash()
        ),
    )
    return delivery


def start_decoy(request: HttpRequest, email: str, next_url: str = "") -> None:
    """Show the code page for an address we will not verify, exactly as for a real one."""
    now = time.time()
    _save(request, PendingVerification(email, None, next_url, now, now))


def resend(request: HttpRequest, pending: PendingVerification) -> ResendOutcome:
    """Send a new code unless the last one went out less than a minute ago."""
    if pending.seconds_until_resend() > 0:
        return ResendOutcome.COOLDOWN
    pending.sent_at = time.time()
    pending.decoy_failures = 0
    _save(request, pending)
    if pending.is_decoy:
        owner = User.objects.filter(email__iexact=pending.email, is_active=True).first()
        delivery = send_account_exists_notice(owner) if owner else Delivery(sent=True)
    else:
        user = _waiting_user(pending)
        delivery = send_verification_code(user) if user else Delivery(sent=True)
    return ResendOutcome.SENT if delivery.sent else ResendOutcome.FAILED


def check(
    request: HttpRequest, pending: PendingVerification, code: str
) -> tuple[CheckResult, User | None]:
    """Check the typed code; on success mark the address verified and return the user."""
    if pending.is_decoy:
        return _check_decoy(request, pending), None
    user = _waiting_user(pending)
    if user is None:
        clear(request)
        return CheckResult(CodeCheck.MISSING), None
    result = check_email_code(user, PURPOSE, code)
    if result.accepted:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        clear(request)
        return result, user
    return result, None


def _check_decoy(request: HttpRequest, pending: PendingVerification) -> CheckResult:
    """Answer as check_email_code() would for a code that can never match, in its order."""
    if pending.decoy_failures >= MAX_FAILED_ATTEMPTS:
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    if time.time() >= pending.sent_at + CODE_LIFETIME.total_seconds():
        return CheckResult(CodeCheck.EXPIRED)
    pending.decoy_failures += 1
    _save(request, pending)
    if pending.decoy_failures >= MAX_FAILED_ATTEMPTS:
        return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
    return CheckResult(
        CodeCheck.INCORRECT, attempts_left=MAX_FAILED_ATTEMPTS - pending.decoy_failures
    )
