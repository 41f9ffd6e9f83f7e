"""The second step of signing in: an e-mailed code, an authenticator's code or a recovery code.

It runs inside a pending sign-in (accounts.flows.login, which asks for it through
accounts.factors), before any session exists. What it
asks for comes from the site policy (`policy.required_for`). E-mailed codes are one more
`CodeProcess` (6 digits, 5 minutes, 3 tries, a new one for each sign-in, 30 s between two),
and every wrong code of any kind, e-mailed, authenticator or recovery, spends the same
budget: 10 wrong in an hour lock the account's second step for an hour and e-mail its
owner. HYGATE_RATE_LIMITS=off does not turn that off. A code that cannot be sent never
lets anyone through: the step simply waits for one that can.

Under the `totp` policy a user without an authenticator enrols one here, but only after
an e-mailed code has shown that they read the account's mail: a password alone never
sets the second factor of an account.
"""

from contextlib import suppress
from datetime import timedelta

from django.http import HttpRequest
from django.urls import reverse

from accounts import codes
from accounts.codes import CheckResult, CodeCheck
from accounts.factors import NextStep
from accounts.flows import login as login_flow
from accounts.flows.login import PendingSignIn
from accounts.models import EmailCode, User
from accounts.process import CodeProcess, SendOutcome, SessionProcess
from audit.events import Action, record
from twofactor import authenticators, policy, recovery_codes, trust
from twofactor.policy import Method, Requirement
from twofactor.verify import check_second_factor

PURPOSE = EmailCode.Purpose.SIGN_IN
CODE_LIFETIME = timedelta(minutes=5)
RESEND_COOLDOWN = timedelta(seconds=30)


class SignInCode(CodeProcess):
    """The e-mailed code of one sign-in's second step."""

    session_key = "hygate.sign_in_code"
    lifetime = timedelta(minutes=10)
    purpose = PURPOSE
    code_lifetime = CODE_LIFETIME
    mail_kind = "two_factor_code"
    resend_cooldown = RESEND_COOLDOWN

    def accepts(self, user: User) -> bool:
        return user.is_active and self.password_unchanged(user)


def methods(pending: SessionProcess) -> list[str]:
    """The ways this sign-in may pass its second step, the one in use first."""
    accepted = pending.state.get("accepted", [])
    current = pending.state.get("method")
    return sorted(accepted, key=lambda m: (m != current, m))


def start(
    request: HttpRequest, pending: SessionProcess, user: User, *, inbox_proven: bool = False
) -> tuple[bool, SendOutcome | None]:
    """Decide what this sign-in's second step asks for; e-mail a code if that is the way.

    Returns whether a second step applies, and what became of the code it e-mailed (None
    when it starts with the authenticator app or needs no code). With `inbox_proven` (the
    sign-up code was just confirmed), an e-mailed code would prove nothing new: it is
    taken as passed, and a required authenticator is set up at once.
    """
    requirement = policy.required_for(user)
    if requirement is None or (inbox_proven and requirement == Requirement.EMAIL):
        return False, None
    accepted = sorted(policy.accepted_methods(user, requirement))
    if requirement == Requirement.ENROL:
        # the inbox first, then the new authenticator (or a passkey, which needs no app)
        accepted = [Method.EMAIL.value, *(m for m in accepted if m == Method.PASSKEY)]
    method = Method.TOTP.value if Method.TOTP.value in accepted else Method.EMAIL.value
    if Method.PASSKEY.value in accepted and not inbox_proven:  # offered first
        method = Method.PASSKEY.value
    pending.state.update(requirement=requirement, accepted=accepted, method=method)
    pending.save()
    record(request, Action.TWO_FACTOR_CHALLENGE, actor=user, target=user, requirement=requirement)
    if inbox_proven and requirement == Requirement.ENROL:
        return True, None
    if method == Method.EMAIL:
        return True, _send_code(request, pending, user)
    return True, None


def _send_code(request: HttpRequest, pending: SessionProcess, user: User) -> SendOutcome:
    """Start this sign-in's own e-mailed code: a new one for each sign-in (quota permitting)."""
    process = SignInCode.initiate_for(request, user)
    return _note_delivery(process, process.send_code(fresh=True))


def _note_delivery(process: SignInCode, outcome: SendOutcome) -> SendOutcome:
    """Remember whether this sign-in has a code in the owner's inbox.

    A code that was stored but not delivered replaced the one before it, so after a failed
    send nothing is waiting; a refusal (cooldown, quota) leaves things as they were.
    """
    if outcome.claim.allowed:
        process.state["delivered"] = outcome.sent
        process.save()
    return outcome


def code_is_waiting(request: HttpRequest, user: User) -> bool:
    """Say whether this sign-in e-mailed a code that reached the provider."""
    process = code_process(request, user)
    return process is not None and process.state.get("delivered") is True


def code_process(request: HttpRequest, user: User) -> SignInCode | None:
    """This sign-in's e-mailed-code process, if one was started for this user."""
    process = SignInCode.resume(request)
    if process is not None and process.state.get("user_id") != user.pk:
        process.end()
        return None
    return process


def send_new_code(request: HttpRequest, pending: SessionProcess, user: User) -> SendOutcome | None:
    """Send a new e-mailed code for this sign-in, as the account's cooldown and quota allow.

    Only while the e-mailed code is the method in use: where the policy accepts the app
    alone, nobody who knows the password may have codes mailed to the owner.
    """
    if pending.state.get("method") != Method.EMAIL:
        return None
    process = code_process(request, user)
    if process is None:
        return _send_code(request, pending, user)
    return _note_delivery(process, process.send_code())


def switch_method(
    request: HttpRequest, pending: SessionProcess, user: User, method: str
) -> SendOutcome | None:
    """Use another accepted way for this step; switching to e-mail sends a code."""
    if method not in pending.state.get("accepted", []) or method == Method.RECOVERY:
        return None
    pending.state["method"] = method
    pending.save()
    if method == Method.EMAIL and code_process(request, user) is None:
        return _send_code(request, pending, user)
    return None


def seconds_locked(user: User) -> int:
    return codes.seconds_locked(user.pk, PURPOSE)


def seconds_until_resend(user: User) -> int:
    """How long "Send a new code" waits: the cooldown, or the hourly quota if longer."""
    return max(
        codes.seconds_until_next_code(user.pk, PURPOSE, RESEND_COOLDOWN),
        codes.seconds_until_quota_allows(user.pk, PURPOSE),
    )


def _note_check(pending: SessionProcess, method: str, result: CheckResult) -> CheckResult:
    """Remember which method passed this sign-in's second step."""
    if result.accepted:
        pending.state["passed_with"] = method
        pending.save()
    return result


def check_code(request: HttpRequest, pending: SessionProcess, user: User, code: str) -> CheckResult:
    """Check a 6-digit code by the method in use: the e-mailed one or the authenticator's.

    While this sign-in has no e-mailed code (the send failed or was refused), a typed code
    is not compared with anything and spends nothing.
    """
    if pending.state.get("method") == Method.TOTP:
        return _note_check(pending, Method.TOTP, check_second_factor(user, Method.TOTP, code))
    process = code_process(request, user)
    if process is None or not code_is_waiting(request, user):
        if locked := seconds_locked(user):
            return CheckResult(CodeCheck.LOCKED, wait_seconds=locked)
        return CheckResult(CodeCheck.MISSING)
    result = _note_check(pending, Method.EMAIL, process.check_code(code))
    if not result.accepted and (result.counted or result.locked_now):
        record(None, Action.TWO_FACTOR_FAILED, actor=user, target=user, method=Method.EMAIL)
    if result.accepted:
        process.end()
    return result


def use_recovery_code(pending: SessionProcess, user: User, code: str) -> CheckResult:
    """Spend a recovery code at the second step, under the account's budget.

    Something that cannot be a recovery code is refused before any hashing, and spends
    nothing.
    """
    if not recovery_codes.looks_like_code(code):
        if locked := seconds_locked(user):
            return CheckResult(CodeCheck.LOCKED, wait_seconds=locked)
        return CheckResult(CodeCheck.INCORRECT)
    return _note_check(pending, Method.RECOVERY, check_second_factor(user, Method.RECOVERY, code))


def needs_enrolment(pending: SessionProcess) -> bool:
    """Say whether this sign-in must set up an authenticator before it completes."""
    if pending.state.get("passed_with") == Method.PASSKEY:  # no app needed
        return False
    return pending.state.get("requirement") == Requirement.ENROL


def end(request: HttpRequest) -> None:
    """Forget this sign-in's second-step state (with the pending sign-in it belongs to)."""
    SignInCode.discard(request)


def pass_second_factor(request: HttpRequest, pending: PendingSignIn, user: User) -> str:
    """The second step passed: set up the required authenticator first, or sign in.

    The set-up gets a key of its own, made here (on the POST that proved the inbox): never
    an unconfirmed one begun elsewhere, whose key someone else may have seen.
    """
    record(
        request,
        Action.TWO_FACTOR_PASSED,
        actor=user,
        target=user,
        method=pending.state.get("passed_with", pending.state.get("method", "")),
    )
    if needs_enrolment(pending):
        # Already enrolled meanwhile: the set-up page says to sign in with that app.
        with suppress(authenticators.AlreadyEnrolled):
            authenticators.begin_enrolment(user)
        pending.state["inbox_confirmed"] = True
        pending.save()
        return reverse("accounts:login_enrol")
    trust.grant_if_wished(request, pending, user)  # the box was ticked with the code
    return login_flow.finish(request, pending, user)


def may_enrol(pending: PendingSignIn) -> bool:
    """Say whether this sign-in may set up an authenticator now (its inbox code passed)."""
    return needs_enrolment(pending) and pending.state.get("inbox_confirmed") is True


def finish_after_enrolment(request: HttpRequest, pending: PendingSignIn, user: User) -> str:
    """Sign in once the required app was set up, with a code from it: the app passed."""
    pending.state["passed_with"] = Method.TOTP.value
    trust.grant_if_wished(request, pending, user)  # ticked with the inbox code before
    return login_flow.finish(request, pending, user)


class SecondStepOfSignIn:
    """What accounts.factors asks of the sign-in's second step (installed in ready())."""

    def begin(
        self, request: HttpRequest, pending: PendingSignIn, user: User, *, inbox_proven: bool
    ) -> NextStep | None:
        # a browser trusted at an earlier second step skips it (never the password).
        if skipped := trust.skip_second_step(request, user):
            pending.state["passed_with"] = skipped
            pending.save()
            return None
        applies, sent = start(request, pending, user, inbox_proven=inbox_proven)
        if not applies:
            return None
        if inbox_proven and needs_enrolment(pending):
            return NextStep(pass_second_factor(request, pending, user))
        return NextStep(reverse("accounts:login_2fa"), sent)

    def end(self, request: HttpRequest) -> None:
        end(request)
