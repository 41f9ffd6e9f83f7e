"""Step-up re-authentication: the password again before a change to sign-in security.

A right password is remembered in the session for 5 minutes (ASVS 7.5.1); after that, or
in another session, the next change asks again.
"""

import time

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest

SESSION_KEY = "hygate.reauthenticated_at"
LIFETIME_SECONDS = 5 * 60


def reauthenticate(request: HttpRequest, password: str) -> bool:
    """Check the signed-in user's password and, if right, open a 5-minute window for changes."""
    if not request.user.check_password(password):
        return False
    # A right password may be re-hashed with new parameters; keep this session valid.
    update_session_auth_hash(request, request.user)
    request.session[SESSION_KEY] = time.time()
    return True


def is_recent(request: HttpRequest) -> bool:
    """Say whether the user gave their password in this session within the last 5 minutes."""
    at = request.session.get(SESSION_KEY)
    if not isinstance(at, int | float):
        return False
    return 0 <= time.time() - at < LIFETIME_SECONDS


def seconds_left(request: HttpRequest) -> int:
    """Return how long the current window for changes stays open."""
    if not is_recent(request):
        return 0
    return int(request.session[SESSION_KEY] + LIFETIME_SECONDS - time.time())
