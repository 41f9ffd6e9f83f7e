"""One check of a second factor, under the account's budget: the sign-in's and the step-up's.

Every wrong code of any kind spends the same budget (purpose `sign_in`): 10 wrong in an
hour lock the account's second step for an hour (codes.LOCK_TIME), and the engine tells
the owner (accounts.process.announce_lock). Each try is counted before the code is
compared and given back unless it was wrong, so codes sent at once cannot slip past it.
"""

from accounts import codes
from accounts.codes import CheckResult, CodeCheck
from accounts.models import EmailCode, User
from accounts.process import announce_lock
from audit.events import Action, record
from twofactor import policy, recovery_codes, totp
from twofactor.models import Authenticator
from twofactor.notices import send_notice
from twofactor.policy import Method, Requirement

PURPOSE = EmailCode.Purpose.SIGN_IN


def verify_totp(user: User, code: str) -> bool:
    """Accept a code from the user's active authenticator, each time step only once."""
    authenticator = Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()
    return authenticator is not None and totp.verify(authenticator, code)


def use_recovery_code(user: User, code: str) -> int | None:
    """Spend one of the user's recovery codes; return how many remain, or None if refused."""
    left = recovery_codes.use(user, code)
    if left is not None:
        codes = f"{left} recovery code{'s' if left != 1 else ''}" if left else "no recovery codes"
        send_notice(user, "recovery_code_used", remaining=codes)
    return left


def check_second_factor(
    user: User, method: str, code: str, *, recorded_as: str = ""
) -> CheckResult:
    """Check an authenticator's code (`totp`) or a recovery code (`recovery`) of the user.

    A wrong one is recorded (as `recorded_as`, or the method) and spends the budget; the
    try that locks the step tells the owner.
    """

    def check() -> CheckResult:
        if method == Method.TOTP:
            accepted = verify_totp(user, code)
        elif method == Method.RECOVERY:
            accepted = use_recovery_code(user, code) is not None
        else:
            accepted = False
        if accepted:
            return CheckResult(CodeCheck.ACCEPTED)
        return CheckResult(CodeCheck.INCORRECT, counted=True)

    result = codes.check_within_budget(user.pk, PURPOSE, check)
    if result.counted or result.locked_now:
        record(
            None, Action.TWO_FACTOR_FAILED, actor=user, target=user, method=recorded_as or method
        )
    if result.locked_now:
        announce_lock(None, user, PURPOSE)
    return result


class StepUpByApp:
    """What accounts.factors asks of the step-up (installed in TwofactorConfig.ready()).

    Whoever signs in with an e-mailed code types a fresh e-mailed code at the step-up;
    whoever has an authenticator app gives one of its codes, or a recovery code.
    """

    def asks_email_code(self, user: User) -> bool:
        return policy.required_for(user) == Requirement.EMAIL

    def asks_app_code(self, user: User) -> bool:
        return policy.active_authenticator(user) is not None

    def check(self, user: User, code: str, recovery_code: str) -> CheckResult:
        if code:
            return check_second_factor(user, Method.TOTP, code, recorded_as="step_up")
        return check_second_factor(user, Method.RECOVERY, recovery_code, recorded_as="step_up")

    def looks_like_recovery_code(self, code: str) -> bool:
        return recovery_codes.looks_like_code(code)

    def step_name(self, *, with_app_code: bool) -> str:
        return (Method.TOTP if with_app_code else Method.RECOVERY).value
