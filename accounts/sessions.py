"""The signed-in sessions of each user: tracked, listed and ended from the security page.

Each session a user signs in with gets a UserSession row (found by the SHA-256 of the
session key; the key itself is stored encrypted, since ending a session means deleting it
from the session store). SessionActivityMiddleware keeps `last_seen_at`, at most once a
minute, and re-saves the session then, so the idle timeout (SESSION_COOKIE_AGE) restarts
on activity; it also ends a session older than HYGATE_SESSION_MAX_AGE, however active.
"""

import hashlib
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, logout, user_logged_in, user_logged_out
from django.contrib.auth import SESSION_KEY as USER_ID_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts import signals  # bulk sign-outs end trusted browsers too
from accounts.models import User, UserSession
from audit.events import Action, record
from core import crypto
from core.ratelimit import client_ip

FIRST_STEP_KEY = "hygate.first_step"
SECOND_STEP_KEY = "hygate.second_step"
SEEN_KEY = "hygate.session_seen_at"
STARTED_KEY = "hygate.session_started_at"
TOUCH_EVERY_SECONDS = 60
# Whoever has the password could otherwise pile up sessions until the list, and ending them
# all, no longer fit in one request; past this many, the least recently used ones end.
MAX_SESSIONS_PER_USER = 100


def key_hash(session_key: str) -> str:
    """Return the SHA-256 of a session key, by which its UserSession row is found."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def _store(session_key: str | None = None) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def _ip(request: HttpRequest) -> str | None:
    ip = client_ip(request).strip()
    try:
        UserSession._meta.get_field("ip_address").clean(ip, None)
    except Exception:
        return None
    return ip or None


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:300]


def _save_row(request: HttpRequest, user: User, session_key: str) -> None:
    """Create or refresh the row of this session."""
    now = timezone.now()
    seen = {"ip_address": _ip(request), "user_agent": _user_agent(request), "last_seen_at": now}
    digest = key_hash(session_key)
    if UserSession.objects.filter(key_hash=digest, user=user).update(**seen):
        return
    try:
        with transaction.atomic():
            UserSession.objects.create(
                user=user,
                key_hash=digest,
                session_key=crypto.encrypt(session_key),
                created_at=now,
                **seen,
            )
    except IntegrityError:  # a parallel request of the same session made it first
        pass


@receiver(user_logged_in, dispatch_uid="hygate-track-session")
def track_new_session(sender: object, request: HttpRequest, user: User, **_) -> None:
    """Start tracking the session a user just signed in with."""
    session = request.session
    if session.session_key is None:
        session.save()
    session[STARTED_KEY] = session[SEEN_KEY] = time.time()
    _save_row(request, user, session.session_key)
    _keep_within_limit(request, user)


def note_first_step(request: HttpRequest, step: str) -> None:
    """Record in the session how its sign-in began: "password", or "passkey" (no password).

    Set by every sign-in (accounts.flows.login.complete), so that it never outlives the
    sign-in that made it; apps that sign in through Hygate learn it (OIDC `amr`).
    """
    request.session[FIRST_STEP_KEY] = step


def first_step(request: HttpRequest) -> str:
    """Return how this session's sign-in began ("password" when it recorded nothing)."""
    return request.session.get(FIRST_STEP_KEY) or "password"


def note_second_step(request: HttpRequest, step: str) -> None:
    """Record in the session which second step it passed: totp, recovery, email or none.

    Set when a sign-in completes, and raised to the app's when the user later proves the
    authenticator app in this session (a step-up with its code, or setting it up).
    """
    request.session[SECOND_STEP_KEY] = step or "none"


def second_step(request: HttpRequest) -> str:
    """Return the second step this session passed ("none" when it recorded none)."""
    return request.session.get(SECOND_STEP_KEY) or "none"


def _keep_within_limit(request: HttpRequest, user: User) -> None:
    rows = UserSession.objects.filter(user=user).order_by("-last_seen_at", "-pk")
    extra = list(rows[MAX_SESSIONS_PER_USER:])
    for row in extra:
        _end(row)
    if extra:
        record(
            request,
            Action.SESSION_ENDED,
            actor=user,
            target=user,
            ended=len(extra),
            reason="session_limit",
        )


@receiver(user_logged_out, dispatch_uid="hygate-forget-session")
def forget_signed_out_session(sender: object, request: HttpRequest, user: User | None, **_):
    """Drop the row of a session whose user signed out, and record it."""
    key = request.session.session_key
    if key:
        UserSession.objects.filter(key_hash=key_hash(key)).delete()
    if user is not None:
        record(request, Action.SIGNED_OUT, actor=user, target=user)


class SessionActivityMiddleware:
    """Keep each signed-in session's last activity, and end one past its absolute lifetime."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key_before = request.session.session_key
        if request.user.is_authenticated and _too_old(request):
            logout(request)
        response = self.get_response(request)
        user = request.user
        if user.is_authenticated and request.session.session_key:
            _note_activity(request, user, key_before)
        return response


def _too_old(request: HttpRequest) -> bool:
    started = request.session.get(STARTED_KEY)
    return isinstance(started, float | int) and (
        time.time() - started > settings.HYGATE_SESSION_MAX_AGE
    )


def _note_activity(request: HttpRequest, user: User, key_before: str | None) -> None:
    session = request.session
    key = session.session_key
    if key_before and key_before != key:
        # The key was cycled (a password re-hash keeping the session): follow it.
        UserSession.objects.filter(key_hash=key_hash(key_before), user=user).update(
            key_hash=key_hash(key), session_key=crypto.encrypt(key)
        )
    seen = session.get(SEEN_KEY)
    now = time.time()
    if key_before == key and isinstance(seen, float | int) and now - seen < TOUCH_EVERY_SECONDS:
        return
    # Writing the session again also restarts its idle clock (SESSION_COOKIE_AGE).
    session[SEEN_KEY] = now
    session.setdefault(STARTED_KEY, now)
    _save_row(request, user, key)


def _is_alive(row: UserSession, user: User) -> bool:
    """Say whether the row's session still exists and still signs this user in."""
    try:
        data = _store(crypto.decrypt(row.session_key)).load()
    except crypto.SecretUnreadable:
        return False
    return str(data.get(USER_ID_KEY)) == str(user.pk) and constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def active_sessions(request: HttpRequest) -> list[UserSession]:
    """Return the user's live sessions, newest activity first, the current one marked.

    Rows whose session ended some other way (expired, signed out by a password change)
    are removed here, so the list shows only what still signs in.
    """
    user = request.user
    current = key_hash(request.session.session_key or "")
    alive = []
    for row in UserSession.objects.filter(user=user):
        if _is_alive(row, user):
            row.is_current = row.key_hash == current
            alive.append(row)
        else:
            row.delete()
    return alive


def _end(row: UserSession) -> None:
    # An unreadable key leaves nothing to delete with: the session dies at its idle timeout.
    with suppress(crypto.SecretUnreadable):
        _store().delete(crypto.decrypt(row.session_key))
    row.delete()


def end_session(request: HttpRequest, session_id: int) -> bool:
    """End one of the user's other sessions; say whether there was one to end."""
    current = key_hash(request.session.session_key or "")
    row = (
        UserSession.objects.filter(pk=session_id, user=request.user)
        .exclude(key_hash=current)
        .first()
    )
    if row is None:
        return False
    _end(row)
    record(request, Action.SESSION_ENDED, target=request.user, ended=1, browser=row.user_agent)
    return True


def end_other_sessions(request: HttpRequest, reason: str = "requested") -> int:
    """End every session of the signed-in user but this one; return how many ended."""
    current = key_hash(request.session.session_key or "")
    rows = list(UserSession.objects.filter(user=request.user).exclude(key_hash=current))
    for row in rows:
        _end(row)
    record(request, Action.SESSION_ENDED, target=request.user, ended=len(rows), reason=reason)
    signals.sessions_ended.send(User, request=request, user=request.user, reason=reason)
    return len(rows)


def end_all_sessions(request: HttpRequest | None, user: User, reason: str) -> int:
    """End every session of the user (after a password reset); return how many ended."""
    rows = list(UserSession.objects.filter(user=user))
    for row in rows:
        _end(row)
    if rows:
        record(
            request, Action.SESSION_ENDED, actor=user, target=user, ended=len(rows), reason=reason
        )
    signals.sessions_ended.send(User, request=request, user=user, reason=reason)
    if request is not None and getattr(request, "user", None) == user:
        # This browser was one of them: the page that says so is drawn signed out.
        request.session.flush()
        request.user = AnonymousUser()
    return len(rows)


def end_sessions_for_operator(user: User, *, by: object = None, via: str) -> int:
    """End every session of the user on an operator's word (admin or shell); record it.

    `by` is the staff member (None from the shell); `via` says where: "admin", "command".
    Recorded even when nothing was signed in, so the log shows what staff asked for.
    """
    rows = list(UserSession.objects.filter(user=user))
    for row in rows:
        _end(row)
    record(None, Action.SESSION_ENDED, actor=by, target=user, ended=len(rows), reason=via)
    signals.sessions_ended.send(User, request=None, user=user, reason=via)
    return len(rows)


def purge_stale_sessions() -> int:
    """Delete rows of sessions idle longer than the idle timeout; return how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    deleted, _ = UserSession.objects.filter(last_seen_at__lt=cutoff).delete()
    return deleted


def purge_expired_sessions() -> int:
    """Delete expired sessions from the session store; return how many (0 where uncounted).

    Django never deletes an expired session by itself, and every sign-up and pending
    sign-in starts one, so without this the store grows by one row per visitor for good.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):  # the database engines
        expired = store.get_model_class().objects.filter(expire_date__lt=timezone.now())
        return expired.delete()[0]
    store.clear_expired()  # the cache expires its own; the file engine deletes here
    return 0
