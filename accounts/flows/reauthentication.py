"""Step-up re-authentication: the password again (and the second factor) before a change.

Before any change to how an account signs in (password, e-mail address, second factor) or
to its sessions, the user gives the password again and the second factor their sign-in
asks for (ASVS 7.5.1, 7.5.2): whoever signs in with an e-mailed code (policy `email`, or
`either` without an app) types a fresh code e-mailed for the step-up (a `StepUpCode`
CodeProcess, 5 minutes, 3 tries); whoever signs in with an authenticator app gives a
code from it or a recovery code. So a copied session and the password are not enough
where the sign-in also needs the inbox. A right answer is remembered in the session for
5 minutes; after that, or in another session, the next change asks again. A wrong code
spends the same failure budget as the sign-in's second step, so the step-up is no side
door around that lock.
"""

import time
from datetime import timedelta

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest

from accounts import codes, factors, sessions
from accounts.codes import CheckResult, CodeCheck
from accounts.models import EmailCode, User
from accounts.process import CodeProcess, SendOutcome
from audit.events import Action, record
from emailing.messages import Delivery, send_message

SESSION_KEY = "hygate.reauthenticated_at"
# Set when the step-up passed with an e-mailed code: the inbox was just proved too.
EMAIL_CODE_KEY = "hygate.reauthenticated_with_email_code"
LIFETIME_SECONDS = 5 * 60
CODE_LIFETIME = timedelta(minutes=5)
# The step-up's codes spend the sign-in's second-step budget: no side door around its lock.
PURPOSE = EmailCode.Purpose.SIGN_IN


class StepUpCode(CodeProcess):
    """The e-mailed code of a step-up, for a user whose sign-in asks for one.

    It spends the sign-in's second-step budget (same purpose), bound to the step-up so a
    code mailed for a sign-in never passes it, nor the other way round.
    """

    session_key = "hygate.step_up_code"
    lifetime = timedelta(minutes=10)
    purpose = PURPOSE
    code_lifetime = CODE_LIFETIME
    resend_cooldown = timedelta(seconds=30)

    def accepts(self, user: User) -> bool:
        return user.is_active and user.pk == self.request.user.pk and self.password_unchanged(user)

    def code_bound_to(self) -> str:
        return "step-up"

    def deliver_code(self, user: User, code: str) -> Delivery:
        return send_message(
            "two_factor_code",
            user.email,
            {"user": user, "code": code, "expires_minutes": CODE_LIFETIME.seconds // 60},
        )


def needs_email_code(user: User) -> bool:
    """Say whether the user's step-up asks for a code e-mailed for it (their sign-in does)."""
    return factors.step_up_factor().asks_email_code(user)


def needs_second_factor(user: User) -> bool:
    """Say whether the user's step-up asks for an authenticator or recovery code too."""
    return not needs_email_code(user) and factors.step_up_factor().asks_app_code(user)


def send_code(request: HttpRequest) -> SendOutcome:
    """E-mail a code for this session's step-up to the account's address."""
    process = StepUpCode.resume(request)
    if process is None:
        user = request.user
        process = StepUpCode.initiate(
            request,
            user_id=user.pk,
            budget_id=user.pk,
            email=user.email,
            auth_hash=user.get_session_auth_hash(),
        )
    return process.send_code()


def code_waiting(request: HttpRequest) -> StepUpCode | None:
    """Return this session's step-up code process, if a code was asked for."""
    return StepUpCode.resume(request)


def _check_email_code(request: HttpRequest, user: User, code: str) -> CheckResult:
    process = StepUpCode.resume(request)
    if not code or process is None:
        if locked := codes.seconds_locked(user.pk, PURPOSE):
            return CheckResult(CodeCheck.LOCKED, wait_seconds=locked)
        return CheckResult(CodeCheck.MISSING)
    result = process.check_code(code)
    if result.counted or result.locked_now:
        record(None, Action.TWO_FACTOR_FAILED, actor=user, target=user, method="step_up_email")
    if result.accepted:
        process.end()
        return CheckResult(CodeCheck.ACCEPTED)
    if result.outcome is CodeCheck.LOCKED:
        return CheckResult(CodeCheck.LOCKED, wait_seconds=result.wait_seconds)
    return CheckResult(CodeCheck.INCORRECT)


def confirm_identity(
    request: HttpRequest,
    password: str,
    code: str = "",
    recovery_code: str = "",
    *,
    fresh_email_code: bool = False,
) -> CheckResult:
    """Check the signed-in user's password and, if they have one, their second factor.

    Returns a CheckResult: ACCEPTED, WRONG_PASSWORD, MISSING (a code is needed), INCORRECT,
    or LOCKED with the seconds the second step stays locked.
    The password is checked first, so someone who does not know it cannot spend the
    owner's code budget. An e-mailed code typed at a step-up in this session within its
    5 minutes counts, unless `fresh_email_code` (the step-up itself always wants a new one,
    or the password alone would keep its window open for ever).
    """
    user = request.user
    stored = user.password
    if not user.check_password(password):
        return CheckResult(CodeCheck.WRONG_PASSWORD)
    if user.password != stored:
        # The right password was re-hashed with new parameters; keep this session valid.
        update_session_auth_hash(request, user)
    if needs_email_code(user) and (fresh_email_code or not passed_with_email_code(request)):
        return _check_email_code(request, user, code)
    if needs_second_factor(user):
        factor = factors.step_up_factor()
        if recovery_code and not factor.looks_like_recovery_code(recovery_code):
            recovery_code = ""
        if not code and not recovery_code:
            if locked := codes.seconds_locked(user.pk, PURPOSE):
                return CheckResult(CodeCheck.LOCKED, wait_seconds=locked)
            return CheckResult(CodeCheck.MISSING)
        result = factor.check(user, code, recovery_code)
        if result.outcome is CodeCheck.LOCKED:
            return CheckResult(CodeCheck.LOCKED, wait_seconds=result.wait_seconds)
        if not result.accepted:
            return CheckResult(CodeCheck.INCORRECT)
    return CheckResult(CodeCheck.ACCEPTED)


def reauthenticate(
    request: HttpRequest, password: str, code: str = "", recovery_code: str = ""
) -> CheckResult:
    """Confirm the user's identity and, if it passes, open a 5-minute window for changes."""
    with_email_code = needs_email_code(request.user)
    result = confirm_identity(request, password, code, recovery_code, fresh_email_code=True)
    if result.accepted:
        open_window(request, with_email_code=with_email_code, with_app_code=bool(code))
    return result


def open_window(request: HttpRequest, *, with_email_code: bool, with_app_code: bool) -> None:
    """Open the 5-minute window for changes after the user's identity was just confirmed.

    Every page that changes how the account signs in honours the same window, so one
    step-up serves a password change and then an address change alike.
    """
    # A new session key at every authentication, re-authentication included (ASVS
    # 7.2.4): a key seen before the step-up opens no window for changes.
    request.session.cycle_key()
    request.session[SESSION_KEY] = time.time()
    request.session[EMAIL_CODE_KEY] = with_email_code
    if needs_second_factor(request.user):
        # The app (or one of its recovery codes) was just proven in this session.
        step = factors.step_up_factor().step_name(with_app_code=with_app_code)
        sessions.note_second_step(request, step)


def is_recent(request: HttpRequest) -> bool:
    """Say whether the user stepped up in this session within the last 5 minutes."""
    at = request.session.get(SESSION_KEY)
    if not isinstance(at, int | float):
        return False
    return 0 <= time.time() - at < LIFETIME_SECONDS


def passed_with_email_code(request: HttpRequest) -> bool:
    """Say whether this session's open window for changes was opened with an e-mailed code."""
    return is_recent(request) and request.session.get(EMAIL_CODE_KEY) is True


def stepped_up_at(request: HttpRequest) -> float | None:
    """Return when this session's current window for changes opened, if one is open."""
    return request.session[SESSION_KEY] if is_recent(request) else None


def seconds_left(request: HttpRequest) -> int:
    """Return how long the current window for changes stays open."""
    if not is_recent(request):
        return 0
    return int(request.session[SESSION_KEY] + LIFETIME_SECONDS - time.time())


def close(request: HttpRequest) -> None:
    """Close the window for changes (after a change that should not be followed by more)."""
    request.session.pop(SESSION_KEY, None)
    request.session.pop(EMAIL_CODE_KEY, None)
