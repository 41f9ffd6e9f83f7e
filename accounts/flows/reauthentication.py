"""Step-up re-authentication: the password again (and the second factor) before a change.

Before any change to how an account signs in (password, e-mail address, second factor) or
to its sessions, the user gives the password again and, if they have an authenticator
app, a code from it or a recovery code (ASVS 7.5.1, 7.5.2). A right answer is remembered
in the session for 5 minutes; after that, or in another session, the next change asks
again. A wrong code spends the same failure budget as the sign-in's second step, so the
step-up is no side door around that lock.
"""

import time
from enum import StrEnum

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest

from accounts import codes, recovery, sessions
from accounts.codes import CheckResult, CodeCheck
from accounts.flows import second_factor, two_factor
from accounts.models import User
from audit.events import Action, record

SESSION_KEY = "hygate.reauthenticated_at"
LIFETIME_SECONDS = 5 * 60


class Outcome(StrEnum):
    """What a step-up answer did."""

    PASSED = "passed"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (an outcome's name, not a password)
    CODE_NEEDED = "code_needed"
    WRONG_CODE = "wrong_code"
    LOCKED = "locked"


def needs_second_factor(user: User) -> bool:
    """Say whether the user's step-up asks for an authenticator or recovery code too."""
    return two_factor.active_authenticator(user) is not None


def _check_second_factor(user: User, code: str, recovery_code: str) -> CheckResult:
    def check() -> CheckResult:
        if code and two_factor.verify_totp(user, code):
            return CheckResult(CodeCheck.ACCEPTED)
        if recovery_code and two_factor.use_recovery_code(user, recovery_code) is not None:
            return CheckResult(CodeCheck.ACCEPTED)
        return CheckResult(CodeCheck.INCORRECT, counted=True)

    result = codes.check_within_budget(user.pk, second_factor.PURPOSE, check)
    if result.counted or result.locked_now:
        record(None, Action.TWO_FACTOR_FAILED, actor=user, target=user, method="step_up")
    if result.locked_now:
        second_factor.send_lock_notice(user)
    return result


def confirm_identity(
    request: HttpRequest, password: str, code: str = "", recovery_code: str = ""
) -> tuple[Outcome, int]:
    """Check the signed-in user's password and, if they have one, their second factor.

    Returns the outcome and, when the second step is locked, the seconds it stays locked.
    The password is checked first, so someone who does not know it cannot spend the
    owner's code budget.
    """
    user = request.user
    stored = user.password
    if not user.check_password(password):
        return Outcome.WRONG_PASSWORD, 0
    if user.password != stored:
        # The right password was re-hashed with new parameters; keep this session valid.
        update_session_auth_hash(request, user)
    if needs_second_factor(user):
        if recovery_code and not recovery.looks_like_code(recovery_code):
            recovery_code = ""
        if not code and not recovery_code:
            if locked := codes.seconds_locked(user.pk, second_factor.PURPOSE):
                return Outcome.LOCKED, locked
            return Outcome.CODE_NEEDED, 0
        result = _check_second_factor(user, code, recovery_code)
        if result.outcome is CodeCheck.LOCKED:
            return Outcome.LOCKED, result.wait_seconds
        if not result.accepted:
            return Outcome.WRONG_CODE, 0
    return Outcome.PASSED, 0


def reauthenticate(
    request: HttpRequest, password: str, code: str = "", recovery_code: str = ""
) -> tuple[Outcome, int]:
    """Confirm the user's identity and, if it passes, open a 5-minute window for changes."""
    outcome, wait = confirm_identity(request, password, code, recovery_code)
    if outcome is Outcome.PASSED:
        # A new session key at every authentication, re-authentication included (ASVS
        # 7.2.4): a key seen before the step-up opens no window for changes.
        request.session.cycle_key()
        request.session[SESSION_KEY] = time.time()
        if needs_second_factor(request.user):
            # The app (or one of its recovery codes) was just proven in this session.
            step = two_factor.Method.TOTP if code else two_factor.Method.RECOVERY
            sessions.note_second_step(request, step.value)
    return outcome, wait


def is_recent(request: HttpRequest) -> bool:
    """Say whether the user stepped up in this session within the last 5 minutes."""
    at = request.session.get(SESSION_KEY)
    if not isinstance(at, int | float):
        return False
    return 0 <= time.time() - at < LIFETIME_SECONDS


def seconds_left(request: HttpRequest) -> int:
    """Return how long the current window for changes stays open."""
    if not is_recent(request):
        return 0
    return int(request.session[SESSION_KEY] + LIFETIME_SECONDS - time.time())


def close(request: HttpRequest) -> None:
    """Close the window for changes (after a change that should not be followed by more)."""
    request.session.pop(SESSION_KEY, None)
