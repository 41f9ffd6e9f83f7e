"""The inbox's consent before an account's first authenticator app (or one after a reset).

A password alone must never set the second factor of an account: someone who only knows
it would lock the owner out, and the owner's password reset would not remove their app.
So before the set-up page shows a key to a user who has no active app (their first one,
or one after staff reset two-factor sign-in, which is what someone who fooled a help desk
would ask for), the user types a code e-mailed to the account's verified address (a
`ReEnrolment` CodeProcess, 10 minutes, 3 tries, the account's REENROL budget). A step-up
passed with an e-mailed code (accounts.flows.reauthentication) has just proved the inbox
and counts. The reset mark (`User.two_factor_reset_at`) is cleared once an app is set up.
A sign-in that must enrol already proves the inbox with an e-mailed code
(accounts.flows.second_factor).
"""

from datetime import timedelta

from django.http import HttpRequest

from accounts.codes import CheckResult
from accounts.flows import reauthentication
from accounts.models import EmailCode, User
from accounts.process import CodeProcess, SendOutcome
from emailing.messages import Delivery, send_message
from twofactor import policy

PURPOSE = EmailCode.Purpose.REENROL
CODE_LIFETIME = timedelta(minutes=10)
RESEND_COOLDOWN = timedelta(seconds=60)


class ReEnrolment(CodeProcess):
    """The e-mailed code that must pass before an account's first authenticator is set up."""

    session_key = "hygate.reenrolment"
    lifetime = timedelta(minutes=30)
    purpose = PURPOSE
    code_lifetime = CODE_LIFETIME
    resend_cooldown = RESEND_COOLDOWN

    @property
    def confirmed(self) -> bool:
        return self.state.get("confirmed") is True

    def accepts(self, user: User) -> bool:
        return (
            user.is_active
            and user.pk == self.request.user.pk
            and policy.active_authenticator(user) is None
            and self.password_unchanged(user)
        )

    def deliver_code(self, user: User, code: str) -> Delivery:
        return send_message(
            "two_factor_code",
            user.email,
            {"user": user, "code": code, "expires_minutes": CODE_LIFETIME.seconds // 60},
        )


def needs_inbox_code(request: HttpRequest) -> bool:
    """Say whether this user must still type an e-mailed code before setting up an app."""
    if policy.active_authenticator(request.user) is not None:
        return False
    if reauthentication.passed_with_email_code(request):
        return False
    process = ReEnrolment.resume(request)
    return process is None or not process.confirmed


def finish(request: HttpRequest) -> None:
    """End the process once the app is set up: another one needs the inbox again."""
    ReEnrolment.discard(request)


def resume(request: HttpRequest) -> ReEnrolment | None:
    """Return this session's re-enrolment code process, if one is waiting."""
    return ReEnrolment.resume(request)


def send_code(request: HttpRequest) -> SendOutcome:
    """E-mail a code to the account's address (starting the process if need be)."""
    process = ReEnrolment.resume(request)
    if process is None or process.confirmed:
        user = request.user
        process = ReEnrolment.initiate(
            request,
            user_id=user.pk,
            budget_id=user.pk,
            email=user.email,
            auth_hash=user.get_session_auth_hash(),
        )
    return process.send_code()


def check(request: HttpRequest, process: ReEnrolment, code: str) -> CheckResult:
    """Check the typed code; a right one opens the set-up for the rest of the process."""
    result = process.check_code(code)
    if result.accepted:
        process.state["confirmed"] = True
        process.save()
    return result
