"""Signing in: the password check, then a pending sign-in, then the session.

Between the password and the session sits a *pending sign-in* (a SessionProcess, never a
half-signed-in user). It lives 10 minutes and survives visits to other pages; it ends
when the sign-in completes, on a new password sign-in, or on cancel. When the site policy
or the user's own authenticator asks for it, the second step (twofactor.signin_step, asked
through accounts.factors) runs inside it; only once that passes does a session exist.
"""

from datetime import timedelta

from django.contrib.auth import authenticate, login
from django.http import HttpRequest
from django.urls import reverse

from accounts import device, factors, sessions
from accounts.factors import NextStep
from accounts.flows import new_device, verification
from accounts.models import User
from accounts.process import SessionProcess
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
    factors.sign_in_step().end(request)


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
    pending = PendingSignIn.initiate(
        request,
        user_id=user.pk,
        next_url=next_url,
        auth_hash=user.get_session_auth_hash(),
        remember=remember,
    )
    step = factors.sign_in_step().begin(request, pending, user, inbox_proven=inbox_proven)
    return step or NextStep(finish(request, pending, user))


def finish(request: HttpRequest, pending: PendingSignIn, user: User) -> str:
    """End the pending sign-in with a signed-in session; return the safe page to land on."""
    cancel(request)
    step = pending.state.get("passed_with", pending.state.get("method", ""))
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
    first_step: str = "password",
) -> str:
    """Sign the user in with a new session key and return the safe page to land on.

    Without `remember`, the session ends when the browser closes (besides the idle timeout).
    `first_step` is how the sign-in began: "password", or "passkey" (a passkey on its own).
    """
    new_device.notice_if_new(request, user)  # before login() sets last_login
    login(request, user, backend="accounts.backends.EmailBackend")
    sessions.note_first_step(request, first_step)
    sessions.note_second_step(request, second_step)
    if not remember:
        request.session.set_expiry(0)
    device.remember(request, user)
    record(request, Action.SIGN_IN, actor=user, target=user, second_step=second_step or "none")
    return safe_next_url(request, next_url)
