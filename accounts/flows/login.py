"""Signing in: the password check, then a pending sign-in, then the session.

Between the password and the session sits a *pending sign-in* (a SessionProcess, never a
half-signed-in user). It lives 10 minutes and survives visits to other pages; it ends
when the sign-in completes, on a new password sign-in, or on cancel. When the site policy
or the user's own authenticator asks for it, the second step (accounts.flows.second_factor)
runs inside it; only once that passes does a session exist.
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import authenticate, login
from django.http import HttpRequest
from django.urls import reverse

from accounts import browser_trust, device, sessions  # trust: browser_trust
from accounts.flows import new_device, second_factor, two_factor, verification
from accounts.models import User
from accounts.process import SendOutcome, SessionProcess
from audit.events import Action, record
from core.redirects import safe_next_url


class PendingSignIn(SessionProcess):
    """A user who passed the password check and has steps left before the session."""

    session_key = "hygate.pending_sign_in"
    lifetime = timedelta(minutes=10)

    @property
    def user_id(self) -> int:
        return self.state["user_id"]

    @property
    def next_url(self) -> str:
        return self.state.get("next_url", "")

    def user(self) -> User | None:
        """The signing-in user while the account is active and its password unchanged."""
        user = User.objects.filter(pk=self.state.get("user_id"), is_active=True).first()
        if user is None or not self.password_unchanged(user):
            return None
        return user

    def is_valid(self) -> bool:
        return self.user() is not None


SESSION_KEY = PendingSignIn.session_key


@dataclass(frozen=True)
class NextStep:
    """Where a sign-in goes next, and what became of a code it e-mailed on the way."""

    url: str
    sent: SendOutcome | None = None


def authenticate_by_password(request: HttpRequest, email: str, password: str) -> User | None:
    """Return the active user with this e-mail and password, or None, in similar time.

    A failure is recorded; it names the account only when the typed address has one.
    """
    user = authenticate(request, email=email, password=password)
    if user is None:
        account = User.objects.filter(email=email).first()
        record(request, Action.SIGN_IN_FAILED, actor=None, target=account)
    return user


def get_pending(request: HttpRequest) -> PendingSignIn | None:
    """Return this session's pending sign-in while it is still fresh."""
    return PendingSignIn.resume(request)


def cancel(request: HttpRequest) -> None:
    """End the pending sign-in, and its second step, if there is one."""
    PendingSignIn.discard(request)
    second_factor.end(request)


def begin(
    request: HttpRequest,
    user: User,
    next_url: str = "",
    *,
    inbox_proven: bool = False,
    remember: bool = True,
) -> NextStep:
    """Start signing in a user whose password was right; return where to go next.

    An unverified address first gets a fresh code; otherwise the sign-in completes,
    unless a second step applies. `inbox_proven` (a verification code was just typed)
    counts as the e-mailed code of that step.
    """
    cancel(request)
    verification.clear(request)
    if not user.is_verified:
        sent = verification.start(request, user, next_url, remember=remember)
        return NextStep(reverse("accounts:verify"), sent)
    # trust: a browser trusted at an earlier second step skips it (never the password).
    if trusted := browser_trust.skipped_step(request, user):
        return NextStep(complete(request, user, next_url, second_step=trusted, remember=remember))
    pending = PendingSignIn.initiate(
        request,
        user_id=user.pk,
        next_url=next_url,
        auth_hash=user.get_session_auth_hash(),
        remember=remember,
    )
    applies, sent = second_factor.start(request, pending, user, inbox_proven=inbox_proven)
    if not applies:
        return NextStep(finish(request, pending, user))
    if inbox_proven and second_factor.needs_enrolment(pending):
        return NextStep(pass_second_factor(request, pending, user))
    return NextStep(reverse("accounts:login_2fa"), sent)


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
    if second_factor.needs_enrolment(pending):
        # Already enrolled meanwhile: the set-up page says to sign in with that app.
        with suppress(two_factor.AlreadyEnrolled):
            two_factor.begin_enrolment(user)
        pending.state["inbox_confirmed"] = True
        pending.save()
        return reverse("accounts:login_enrol")
    return finish(request, pending, user)


def may_enrol(pending: PendingSignIn) -> bool:
    """Say whether this sign-in may set up an authenticator now (its inbox code passed)."""
    return second_factor.needs_enrolment(pending) and pending.state.get("inbox_confirmed") is True


def finish(request: HttpRequest, pending: PendingSignIn, user: User) -> str:
    """End the pending sign-in with a signed-in session; return the safe page to land on."""
    cancel(request)
    step = pending.state.get("passed_with", pending.state.get("method", ""))
    if second_factor.needs_enrolment(pending):
        # Reached only once the required app was set up, with a code from it: the app passed.
        step = two_factor.Method.TOTP.value
    browser_trust.grant_if_wished(request, pending, user, step)  # trust: the box was ticked
    return complete(
        request,
        user,
        pending.next_url,
        second_step=step,
        remember=pending.state.get("remember", True),
    )


def complete(
    request: HttpRequest,
    user: User,
    next_url: str = "",
    *,
    second_step: str = "",
    remember: bool = True,
) -> str:
    """Sign the user in with a new session key and return the safe page to land on.

    Without `remember`, the session ends when the browser closes (besides the idle timeout).
    """
    new_device.notice_if_new(request, user)  # new-device: before login() sets last_login
    login(request, user, backend="accounts.backends.EmailBackend")
    sessions.note_second_step(request, second_step)
    if not remember:
        request.session.set_expiry(0)
    device.remember(request, user)
    record(request, Action.SIGN_IN, actor=user, target=user, second_step=second_step or "none")
    return safe_next_url(request, next_url)
