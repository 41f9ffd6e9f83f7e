"""Signing in: the password check, then a pending sign-in, then the session.

Between the password and the session sits a *pending sign-in* held in the session (never
a half-signed-in user). It lives 10 minutes and survives visits to other pages; it ends
when the sign-in completes, on a new password sign-in, or on cancel. Further steps (a
second factor) slot in by adding a stage to `next_stage()`.
"""

import time
from dataclasses import asdict, dataclass

from django.contrib.auth import authenticate, login
from django.http import HttpRequest
from django.urls import reverse

from accounts.flows import verification
from accounts.models import User
from core.redirects import safe_next_url

SESSION_KEY = "hygate.pending_sign_in"
PENDING_LIFETIME_SECONDS = 10 * 60


@dataclass
class PendingSignIn:
    """A user who passed the password check and has steps left before the session."""

    user_id: int
    next_url: str
    started_at: float

    @property
    def expired(self) -> bool:
        return time.time() >= self.started_at + PENDING_LIFETIME_SECONDS


def authenticate_by_password(request: HttpRequest, email: str, password: str) -> User | None:
    """Return the active user with this e-mail and password, or None, in similar time."""
    return authenticate(request, email=email, password=password)


def get_pending(request: HttpRequest) -> PendingSignIn | None:
    """Return this session's pending sign-in while it is still fresh."""
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    try:
        pending = PendingSignIn(**data)
    except TypeError:
        pending = None
    if pending is None or pending.expired:
        cancel(request)
        return None
    return pending


def cancel(request: HttpRequest) -> None:
    """End the pending sign-in, if there is one."""
    request.session.pop(SESSION_KEY, None)


def begin(request: HttpRequest, user: User, next_url: str = "") -> str:
    """Start signing in a user whose password was right; return where to go next.

    An unverified address first gets a fresh code; otherwise the sign-in completes,
    unless a further stage (two-factor) applies.
    """
    cancel(request)
    verification.clear(request)
    if not user.is_verified:
        verification.start(request, user, next_url)
        return reverse("accounts:verify")
    pending = PendingSignIn(user_id=user.pk, next_url=next_url, started_at=time.time())
    request.session[SESSION_KEY] = asdict(pending)
    return advance(request, pending, user)


def next_stage(request: HttpRequest, pending: PendingSignIn, user: User) -> str | None:
    """Return the URL of the next step this sign-in still needs, or None when none is left."""
    return None


def advance(request: HttpRequest, pending: PendingSignIn, user: User) -> str:
    """Move a pending sign-in on: to its next step, or into a signed-in session."""
    stage_url = next_stage(request, pending, user)
    if stage_url is not None:
        return stage_url
    cancel(request)
    return complete(request, user, pending.next_url)


def complete(request: HttpRequest, user: User, next_url: str = "") -> str:
    """Sign the user in with a new session key and return the safe page to land on."""
    login(request, user, backend="accounts.backends.EmailBackend")
    return safe_next_url(request, next_url)
