"""The seam between accounts and second factors: accounts asks here, twofactor answers.

accounts never imports twofactor (imports run hygate -> twofactor -> accounts). It asks
this registry instead, like core.purge: twofactor fills it in TwofactorConfig.ready().
Without twofactor installed, the defaults below hold: no second step after the password,
a step-up by password alone, nothing to remove.

- `SignInStep`: after the password, does this sign-in need a second step; forget its state.
- `StepUpFactor`: what the step-up asks besides the password, and the check of an app's or
  a recovery code under the account's second-step budget.
- removers: take away the factors added since a moment (the e-mail-change undo link).
- staff resets: remove a user's second factors for them (the admin's "Reset two-factor").
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from accounts.codes import CheckResult
from accounts.models import User
from accounts.process import SendOutcome, SessionProcess


@dataclass(frozen=True)
class NextStep:
    """Where a sign-in goes next, and what became of a code it e-mailed on the way."""

    url: str
    sent: SendOutcome | None = None


class SignInStep(Protocol):
    def begin(
        self, request: HttpRequest, pending: SessionProcess, user: User, *, inbox_proven: bool
    ) -> NextStep | None:
        """Start the second step of this pending sign-in; None when none applies."""

    def end(self, request: HttpRequest) -> None:
        """Forget the second step's state of this session's sign-in."""


class StepUpFactor(Protocol):
    def asks_email_code(self, user: User) -> bool:
        """The step-up wants a fresh e-mailed code (the user's sign-in asks for one)."""

    def asks_app_code(self, user: User) -> bool:
        """The step-up wants an authenticator's code or a recovery code."""

    def check(self, user: User, code: str, recovery_code: str) -> CheckResult:
        """Check an app's or a recovery code under the account's second-step budget."""

    def looks_like_recovery_code(self, code: str) -> bool:
        """Say whether a typed recovery code is worth a check at all."""

    def step_name(self, *, with_app_code: bool) -> str:
        """The second step a step-up proved, as the session records it."""


class _NoNextStep:
    def begin(self, request, pending, user, *, inbox_proven) -> NextStep | None:
        return None

    def end(self, request: HttpRequest) -> None:
        return None


class _PasswordOnly:
    def asks_email_code(self, user: User) -> bool:
        return False

    def asks_app_code(self, user: User) -> bool:
        return False

    def check(self, user: User, code: str, recovery_code: str) -> CheckResult:
        raise NotImplementedError("No second factor is installed.")

    def looks_like_recovery_code(self, code: str) -> bool:
        return False

    def step_name(self, *, with_app_code: bool) -> str:
        return ""


_sign_in_step: SignInStep = _NoNextStep()
_step_up_factor: StepUpFactor = _PasswordOnly()
_removers: list[Callable[[User, datetime], None]] = []
_staff_resets: list[Callable[[User, AbstractBaseUser], None]] = []


def register(
    *,
    sign_in_step: SignInStep,
    step_up_factor: StepUpFactor,
    remove_added_since: Callable[[User, datetime], None],
    staff_reset: Callable[[User, AbstractBaseUser], None],
) -> None:
    """Install a second-factor app (twofactor calls this once, from its ready())."""
    global _sign_in_step, _step_up_factor
    _sign_in_step, _step_up_factor = sign_in_step, step_up_factor
    if remove_added_since not in _removers:
        _removers.append(remove_added_since)
    if staff_reset not in _staff_resets:
        _staff_resets.append(staff_reset)


def sign_in_step() -> SignInStep:
    return _sign_in_step


def step_up_factor() -> StepUpFactor:
    return _step_up_factor


def remove_added_since(user: User, since: datetime) -> None:
    """Remove every second factor the user added at or after `since`."""
    for remove in _removers:
        remove(user, since)


def staff_reset(user: User, staff_user: AbstractBaseUser) -> bool:
    """Remove the user's second factors for them; say whether any app handled it."""
    for reset in _staff_resets:
        reset(user, staff_user)
    return bool(_staff_resets)
