"""Changing the e-mail address (the login) while signed in, confirmed by a code.

The user gives the password (and second factor) first: the step-up. The new address then
gets a 6-digit code through the shared code engine (an `EmailChange` CodeProcess, 10
minutes, 3 tries, the account's CHANGE_EMAIL budget); until the code is typed, the old
address stays the login. An address that belongs to another account starts a *decoy*:
the same pages and the same budget (the asker's), but no code exists and that address's
owner gets a notice instead, so nobody learns which addresses have accounts.

The change itself is one conditional UPDATE: it happens only if the account still has
the old address, and the database's unique index on the canonical address refuses one
taken meanwhile. The old address then gets a notice with a signed "this was not me" link
(7 days). It is bound to the moment of that change, so it works once: using it, or any
later change, leaves it nothing to act on, even if the account moves to the same address
again. It puts the old address back, makes the password unusable, ends every session and
sends a password-reset link to the old address. Whoever changed the address knew the
password, so restoring the address alone would not shut them out. It removes only the
second factors added since the step-up that authorised the change (the mover's own): an
older authenticator app stays and is asked for at the next sign-in, because the old
inbox alone proves less than that app (a recycled mailbox is read by a stranger).
For the same 7 days the address cannot move again (a second move would kill the link),
and a never-verified sign-up holding the old address gives way to the link.
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts import factors, sessions
from accounts.codes import CheckResult
from accounts.flows import password_reset, reauthentication
from accounts.models import EmailCode, User
from accounts.notices import send_account_notice
from accounts.process import CodeProcess, SendOutcome
from audit.events import Action, record
from emailing.messages import Delivery, send_message

PURPOSE = EmailCode.Purpose.CHANGE_EMAIL
CODE_LIFETIME = timedelta(minutes=10)
RESEND_COOLDOWN = timedelta(seconds=60)
UNDO_LIFETIME = timedelta(days=7)
_UNDO_SALT = "hygate.accounts.email_change.undo"


class Result(StrEnum):
    """What confirming a code or following an undo link did."""

    CHANGED = "changed"
    REFUSED = "refused"  # the code was not accepted
    TAKEN = "taken"  # the address belongs to another account now
    GONE = "gone"  # the account moved on (another change, or the link was used)


class EmailChange(CodeProcess):
    """A new address waiting for its code, held in the session that asked for it."""

    session_key = "hygate.email_change"
    lifetime = timedelta(hours=1)
    purpose = PURPOSE
    code_lifetime = CODE_LIFETIME
    resend_cooldown = RESEND_COOLDOWN

    @property
    def old_email(self) -> str:
        return self.state["old_email"]

    def accepts(self, user: User) -> bool:
        return (
            user.is_active
            and user.pk == self.request.user.pk
            and user.email == self.old_email
            and self.password_unchanged(user)
        )

    def is_valid(self) -> bool:
        # A decoy has no account of its own to check, so it checks the asker: it must end
        # whenever a real change would (a new password, say), or its lasting would show
        # that the address has an account.
        asker = self.request.user
        return asker.is_authenticated and self.accepts(asker) and super().is_valid()

    def code_bound_to(self) -> str:
        # The account has one live CHANGE_EMAIL code; without this, the code another
        # session had sent to the owner's own inbox would confirm this session's address.
        return self.email

    def deliver_code(self, user: User, code: str) -> Delivery:
        return send_message(
            "email_change_code",
            self.email,
            {"code": code, "expires_minutes": int(CODE_LIFETIME.total_seconds() // 60)},
        )

    def deliver_decoy(self) -> Delivery:
        # A deactivated account's owner is told too, so a decoy does a real one's work (a
        # message rendered and handed to the provider) and fails alike on a suppressed one.
        owner = User.objects.filter(email=self.email).first()
        if owner is None:
            return Delivery(sent=True)
        return send_account_notice(
            owner,
            "someone tried to use your address",
            "Someone signed in to another Hygate account asked to make your e-mail address "
            "the address of that account. Nothing was changed and no code was sent: your "
            "address stays yours.",
            if_not_you="You do not need to do anything.",
        )

    def check_code(self, candidate: str) -> CheckResult:
        result = super().check_code(candidate)
        if result.locked_now and self.is_decoy:
            # The budget spent is the asker's own, so the asker hears of the lock either
            # way: a lock notice for free addresses only would name the taken ones.
            self.on_locked(self.request.user)
        return result


def next_change_allowed_at(user: User) -> datetime | None:
    """Return when the user may move the address again, or None if they may now."""
    if user.email_changed_at is None:
        return None
    allowed = user.email_changed_at + UNDO_LIFETIME
    return allowed if allowed > timezone.now() else None


def start(request: HttpRequest, new_email: str) -> SendOutcome:
    """Wait for the code that proves the new address, and send it (or a decoy's notice)."""
    user: User = request.user
    taken = User.objects.filter(email=new_email).exists()
    record(request, Action.EMAIL_CHANGE_REQUESTED, target=user)
    process = EmailChange.initiate(
        request,
        user_id=None if taken else user.pk,
        budget_id=user.pk,
        email=new_email,
        old_email=user.email,
        auth_hash=user.get_session_auth_hash(),
        stepped_up_at=reauthentication.stepped_up_at(request),
    )
    return process.send_code()


def resume(request: HttpRequest) -> EmailChange | None:
    """Return the change still waiting for its code in this session, if any."""
    return EmailChange.resume(request)


def confirm(request: HttpRequest, process: EmailChange, code: str) -> tuple[Result, CheckResult]:
    """Check the code; if right, make the new address the login, unless it was taken meanwhile."""
    result = process.check_code(code)
    user = process.user() if result.accepted else None
    if user is None:
        return Result.REFUSED, result
    process.end()
    old, new = process.old_email, process.email
    try:
        with transaction.atomic():
            now = timezone.now()
            changed = User.objects.filter(pk=user.pk, email=old).update(
                email=new, email_verified_at=now, email_changed_at=now
            )
    except IntegrityError:  # the unique index on the address: someone else has it now
        return Result.TAKEN, result
    if not changed:
        return Result.GONE, result
    user.refresh_from_db()
    record(request, Action.EMAIL_CHANGED, actor=user, target=user)
    _tell_old_address(user, old, process.state.get("stepped_up_at"))
    return Result.CHANGED, result


def undo_token(user: User, old: str, stepped_up_at: float | None = None) -> str:
    """Return a signed token that undoes the user's latest change of address from `old`.

    It names the change by its time (`email_changed_at`), which the undo clears and every
    later change replaces, so a used or superseded link never acts again; and it carries
    the step-up time, since when every added second factor is the mover's.
    """
    at = user.email_changed_at
    if stepped_up_at is None:
        stepped_up_at = at.timestamp() - reauthentication.LIFETIME_SECONDS
    return signing.dumps(
        {"u": user.pk, "old": old, "new": user.email, "at": at.isoformat(), "since": stepped_up_at},
        salt=_UNDO_SALT,
        compress=True,
    )


def read_undo_token(token: str) -> dict | None:
    """Return what an undo token says, or None if it is forged, garbled or too old."""
    try:
        data = signing.loads(token, salt=_UNDO_SALT, max_age=UNDO_LIFETIME)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or not {"u", "old", "new", "at", "since"} <= data.keys():
        return None
    if not isinstance(data["at"], str) or not isinstance(data["since"], int | float):
        return None
    return data


def _changed_at(data: dict) -> datetime:
    # The exact stored value (microseconds included), so the link names one change only.
    return datetime.fromisoformat(data["at"])


def _tell_old_address(user: User, old: str, stepped_up_at: float | None) -> None:
    path = reverse("accounts:email_change_undo", args=[undo_token(user, old, stepped_up_at)])
    send_account_notice(
        user,
        "your e-mail address was changed",
        f"The e-mail address of your Hygate account was changed from {old} to {user.email}. "
        f"Sign in with {user.email} from now on.",
        to=old,
        action_url=settings.HYGATE_SITE_URL + path,
        action_label="This was not me: give my address back",
        action_expires=f"{UNDO_LIFETIME.days} days",
        if_not_you=(
            "If this was not you, use the link above: your address comes back, every session "
            "is signed out, the password stops working and we send a link to choose a new "
            "password to this address. An authenticator app added with the change is removed; "
            "yours, if you had one before, stays and is asked for at your next sign-in."
        ),
    )


def pending_undo(token: str) -> User | None:
    """Return the account an undo link may still act on, or None (used, expired, forged)."""
    data = read_undo_token(token)
    if data is None:
        return None
    return User.objects.filter(
        pk=data["u"], email=data["new"], email_changed_at=_changed_at(data)
    ).first()


def undo(request: HttpRequest, token: str) -> Result:
    """Put the old address back, lock the password, end every session, send a reset link.

    Second factors added since the step-up that authorised the change go; older ones stay.
    """
    data = read_undo_token(token)
    if data is None:
        return Result.GONE
    try:
        with transaction.atomic():
            # A sign-up never verified proves nothing about the address (anyone may start
            # one, e.g. whoever moved the account, to block this link): it gives way.
            User.objects.filter(email=data["old"], email_verified_at=None).exclude(
                pk=data["u"]
            ).delete()
            restored = User.objects.filter(
                pk=data["u"], email=data["new"], email_changed_at=_changed_at(data)
            ).update(
                email=data["old"],
                email_verified_at=timezone.now(),
                email_changed_at=None,
                password=make_password(None),
            )
    except IntegrityError:
        return Result.TAKEN
    if not restored:
        return Result.GONE
    user = User.objects.get(pk=data["u"])
    record(request, Action.EMAIL_CHANGE_UNDONE, actor=None, target=user)
    sessions.end_all_sessions(request, user, reason="email_change_undone")
    # Whoever moved the address may have set up an app of their own, from the step-up on:
    # left in place, it would keep the owner out once the password is reset. An app from
    # before that step-up is the owner's (or the mover's proof of it), and stays.
    factors.remove_added_since(user, datetime.fromtimestamp(data["since"], tz=UTC))
    password_reset.send_reset_link(user)
    return Result.CHANGED
