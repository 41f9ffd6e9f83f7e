"""The one session-held process that every multi-step flow uses.

A `SessionProcess` is a small dict in the session with a start time: a flow starts it,
resumes it on each request while it is fresh and valid, and ends it. Signing in (between
the password and the session) is one; every flow that waits for an e-mailed code is a
`CodeProcess`, which adds the code itself: sending it under the account's database-side
cooldown, quota and lock (accounts.codes), and checking it against the failure budget.

A flow declares what differs: its session key, lifetime, purpose, how long a code lives,
the cooldown between codes, how to e-mail a code, and which users it may still act for.
What success does stays in the flow module that owns the process.
"""

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar, Self

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from accounts import codes
from accounts.codes import CheckResult, CodeCheck, SendClaim, SendRefusal
from accounts.models import EmailCode, User
from audit.events import Action, record
from emailing.messages import Delivery, send_message


class SessionProcess:
    """A step-by-step process held in the session: started, resumed while fresh, ended."""

    session_key: ClassVar[str]
    lifetime: ClassVar[timedelta]

    def __init__(self, request: HttpRequest, state: dict[str, Any]) -> None:
        self.request = request
        self.state = state

    @classmethod
    def initiate(cls, request: HttpRequest, **state: Any) -> Self:
        """Start the process afresh, replacing any of its kind in this session."""
        process = cls(request, {**state, "started_at": time.time()})
        process.save()
        return process

    @classmethod
    def resume(cls, request: HttpRequest) -> Self | None:
        """Return this session's process while it is fresh and still valid, else end it."""
        state = request.session.get(cls.session_key)
        if not isinstance(state, dict) or not isinstance(state.get("started_at"), int | float):
            cls.discard(request)
            return None
        process = cls(request, state)
        if process.expired or not process.is_valid():
            process.end()
            return None
        return process

    @classmethod
    def discard(cls, request: HttpRequest) -> None:
        """End the process of this kind in this session, if there is one."""
        request.session.pop(cls.session_key, None)

    @property
    def expired(self) -> bool:
        return time.time() >= self.state["started_at"] + self.lifetime.total_seconds()

    def is_valid(self) -> bool:
        """Say whether the process may go on (a flow's own checks; fresh is checked apart)."""
        return True

    def password_unchanged(self, user: User) -> bool:
        """Say whether the account's password is the one it had when the process started.

        Flows store `auth_hash=user.get_session_auth_hash()` when they start; a new password
        since then ends the process, as it ends every session.
        """
        return constant_time_compare(user.get_session_auth_hash(), self.state.get("auth_hash", ""))

    def save(self) -> None:
        self.request.session[self.session_key] = self.state

    def end(self) -> None:
        self.discard(self.request)


@dataclass(frozen=True)
class SendOutcome:
    """What asking for a code did: sent, refused by the budget, or failed to send."""

    claim: SendClaim
    delivery: Delivery | None = None

    @property
    def sent(self) -> bool:
        return self.claim.allowed and self.delivery is not None and self.delivery.sent

    @property
    def failed(self) -> bool:
        return self.claim.allowed and not self.sent

    @property
    def refused(self) -> SendRefusal | None:
        return self.claim.refused


class CodeProcess(SessionProcess):
    """A process waiting for a code e-mailed to an account.

    State: `user_id` (the account the code is for) and `budget_id` (the account whose
    budget is spent, the same one except for a decoy, which has no user but spends its
    address owner's budget so that it answers exactly as a real process would).
    """

    purpose: ClassVar[str]
    code_lifetime: ClassVar[timedelta]
    resend_cooldown: ClassVar[timedelta]

    _user: User | None

    @property
    def email(self) -> str:
        return self.state["email"]

    @property
    def budget_id(self) -> int | None:
        return self.state.get("budget_id")

    @property
    def is_decoy(self) -> bool:
        return self.state.get("user_id") is None

    def user(self) -> User | None:
        """The account this process may still act for, or None (a decoy, or it moved on)."""
        if not hasattr(self, "_user"):
            user_id = self.state.get("user_id")
            user = User.objects.filter(pk=user_id).first() if user_id else None
            self._user = user if user is not None and self.accepts(user) else None
        return self._user

    def is_valid(self) -> bool:
        return self.is_decoy or self.user() is not None

    def accepts(self, user: User) -> bool:
        """Say whether the process may still act for this user (a flow narrows it)."""
        return user.is_active

    def code_bound_to(self) -> str:
        """What the code proves besides the account, mixed into its hash ("" for nothing)."""
        return ""

    def deliver_code(self, user: User, code: str) -> Delivery:
        """E-mail the code to the user (a flow says which message)."""
        raise NotImplementedError

    def deliver_decoy(self) -> Delivery:
        """What a decoy sends instead of a code (nothing, unless a flow says otherwise)."""
        return Delivery(sent=True)

    def send_code(self, *, fresh: bool = False) -> SendOutcome:
        """Issue and e-mail a new code, if the account's cooldown, quota and lock allow it.

        `fresh` skips the cooldown (never the quota or the lock), for a flow whose every
        start must have a code of its own, such as each sign-in's second step.
        """
        cooldown = timedelta(0) if fresh else self.resend_cooldown
        claim = (
            codes.claim_send(self.budget_id, self.purpose, cooldown)
            if self.budget_id
            else SendClaim()
        )
        if not claim.allowed:
            return SendOutcome(claim)
        user = self.user()
        if user is None:
            delivery = self.deliver_decoy()
            self.state.update(decoy_failures=0, decoy_sent_at=time.time())
            self.save()
        else:
            code = codes.issue_email_code(
                user, self.purpose, self.code_lifetime, bound_to=self.code_bound_to()
            )
            delivery = self.deliver_code(user, code)
        if not delivery.sent and self.budget_id:
            codes.release_cooldown(self.budget_id, self.purpose)
        return SendOutcome(claim, delivery)

    def seconds_until_resend(self) -> int:
        if not self.budget_id:
            return 0
        return codes.seconds_until_next_code(self.budget_id, self.purpose, self.resend_cooldown)

    def seconds_locked(self) -> int:
        return codes.seconds_locked(self.budget_id, self.purpose) if self.budget_id else 0

    def check_code(self, candidate: str) -> CheckResult:
        """Check a typed code against the account's live code and its failure budget."""
        user = self.user()
        result = codes.check_within_budget(
            self.budget_id,
            self.purpose,
            self._check_decoy
            if user is None
            else partial(
                codes.check_email_code,
                user,
                self.purpose,
                candidate,
                bound_to=self.code_bound_to(),
            ),
        )
        if result.locked_now and user is not None:
            self.on_locked(user)
        return result

    def on_locked(self, user: User) -> None:
        """Record the lock and tell the owner (the same for every purpose)."""
        announce_lock(self.request, user, self.purpose)

    def _check_decoy(self) -> CheckResult:
        """Answer as check_email_code() would for a code that can never match."""
        failures = self.state.get("decoy_failures", 0)
        sent_at = self.state.get("decoy_sent_at", self.state["started_at"])
        if failures >= codes.MAX_FAILED_ATTEMPTS:
            return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS)
        if time.time() >= sent_at + self.code_lifetime.total_seconds():
            return CheckResult(CodeCheck.EXPIRED)
        self.state["decoy_failures"] = failures + 1
        self.save()
        left = codes.MAX_FAILED_ATTEMPTS - failures - 1
        if left == 0:
            return CheckResult(CodeCheck.TOO_MANY_ATTEMPTS, counted=True)
        return CheckResult(CodeCheck.INCORRECT, attempts_left=left, counted=True)


# What a lock of each purpose is recorded as, and what the owner is told they were doing.
LOCK_NOTICES = {
    EmailCode.Purpose.VERIFY_EMAIL: (Action.VERIFICATION_LOCKED, "confirming this e-mail address"),
    EmailCode.Purpose.SIGN_IN: (Action.TWO_FACTOR_LOCKED, "signing in (the second step)"),
    EmailCode.Purpose.CHANGE_EMAIL: (Action.EMAIL_CHANGE_LOCKED, "changing your e-mail address"),
    EmailCode.Purpose.REENROL: (Action.REENROLMENT_LOCKED, "setting up an authenticator app"),
}


def announce_lock(request: HttpRequest | None, user: User, purpose: str) -> Delivery:
    """Record that a step of the user's account was locked, and e-mail its owner.

    The lock lasts codes.LOCK_TIME, and the mail says so; this is the one place for it.
    """
    action, what = LOCK_NOTICES[purpose]
    record(request, action, actor=user, target=user)
    hours = int(codes.LOCK_TIME.total_seconds() // 3600)
    return send_message("code_lock", user.email, {"what": what, "hours": hours})
