"""Confirming an e-mail address with a 6-digit code: the first user of the code-process engine.

The process starts after sign-up, or after a password sign-in of an unverified account. It
lives an hour at most and ends early once the address is verified or the password
changes, so an old browser session can never use a code to enter an account that moved on.

Signing up again with an address whose account is not verified yet e-mails a real code;
confirming it sets the password typed at that sign-up, so whoever signed up first with
someone else's address (a squatter) is shut out. A sign-up with an address whose account
is verified (or deactivated) starts a *decoy*: the same page, messages and budget (its
owner's), but no code exists and the owner gets a notice instead, so neither the page nor
the time it takes reveals anything.
"""

import sys
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.codes import CheckResult
from accounts.models import EmailCode, User
from accounts.process import CodeProcess, SendOutcome
from audit.events import Action, record
from emailing.messages import Delivery, send_message

CODE_LIFETIME = timedelta(minutes=10)
RESEND_COOLDOWN = timedelta(seconds=60)
PURPOSE = EmailCode.Purpose.VERIFY_EMAIL


class EmailVerification(CodeProcess):
    """An address waiting for its code, held in the session."""

    session_key = "hygate.pending_verification"
    lifetime = timedelta(hours=1)
    purpose = PURPOSE
    code_lifetime = CODE_LIFETIME
    resend_cooldown = RESEND_COOLDOWN

    @property
    def next_url(self) -> str:
        return self.state.get("next_url", "")

    @property
    def remember(self) -> bool:
        return self.state.get("remember", True) is not False

    def accepts(self, user: User) -> bool:
        return user.is_active and not user.is_verified and self.password_unchanged(user)

    def deliver_code(self, user: User, code: str) -> Delivery:
        return send_verification_code(user, code)

    def deliver_decoy(self) -> Delivery:
        # A deactivated account's owner is told too: a decoy that sent nothing would answer
        # faster than a real sign-up, and a suppressed address would not fail as it does
        # for a new one, and so name the addresses that have accounts.
        owner = User.objects.filter(pk=self.budget_id).first()
        return send_account_exists_notice(owner) if owner else Delivery(sent=True)


def send_verification_code(user: User, code: str) -> Delivery:
    """E-mail a verification code; nothing the sign-up typed goes into it (item: no lures)."""
    delivery = send_message(
        "verification_code",
        user.email,
        {"code": code, "expires_minutes": int(CODE_LIFETIME.total_seconds() // 60)},
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


def start(
    request: HttpRequest,
    user: User,
    next_url: str = "",
    *,
    password: str = "",
    name: str = "",
    remember: bool = True,
) -> SendOutcome:
    """Wait for the user's code in this session and send one, as the account's budget allows.

    `password` and `name`, from a second sign-up with the same unverified address, take
    effect only once the code that proves the address is confirmed. `remember` is the
    sign-in's "Keep me signed in", kept for the session the code opens.
    """
    process = EmailVerification.initiate(
        request,
        user_id=user.pk,
        budget_id=user.pk,
        email=user.email,
        next_url=next_url,
        auth_hash=user.get_session_auth_hash(),
        new_password_hash=make_password(password) if password else "",
        new_name=name,
        remember=remember,
    )
    return process.send_code()


def start_decoy(
    request: HttpRequest, email: str, owner: User | None, next_url: str = ""
) -> SendOutcome:
    """Show the code page for an address we will not verify, exactly as for a real one.

    The owner's budget (active or not) paces the decoy's codes and counts its guesses.
    """
    process = EmailVerification.initiate(
        request,
        user_id=None,
        budget_id=owner.pk if owner else None,
        email=email,
        next_url=next_url,
    )
    return process.send_code()


def resume(request: HttpRequest) -> EmailVerification | None:
    """Return the verification still waiting in this session, if any."""
    return EmailVerification.resume(request)


def clear(request: HttpRequest) -> None:
    """Forget the pending verification."""
    EmailVerification.discard(request)


def check(
    request: HttpRequest, process: EmailVerification, code: str
) -> tuple[CheckResult, User | None]:
    """Check the typed code; on success mark the address verified and return the user."""
    result = process.check_code(code)
    user = process.user() if result.accepted else None
    if user is None:
        return result, None
    with transaction.atomic():
        fields = ["email_verified_at"]
        user.email_verified_at = timezone.now()
        if process.state.get("new_password_hash"):
            # The visitor who proved the address chose this password; any other one ends,
            # and with it every session and waiting page that the old one opened.
            user.password = process.state["new_password_hash"]
            user.name = process.state.get("new_name", "")
            fields += ["password", "name"]
        user.save(update_fields=fields)
    record(request, Action.EMAIL_VERIFIED, actor=user, target=user)
    process.end()
    return result, user
