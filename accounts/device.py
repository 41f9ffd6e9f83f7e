"""Device cookies (OWASP's defence against lock-out): strangers cannot lock an owner out.

Failed passwords for an address are limited per address, so a stranger can spend that
limit. A browser that once signed in to the account carries a signed cookie naming it
(by a keyed hash of the address, never the address itself); with it, the sign-in is
limited only by that browser's own failures. The cookie outlives sign-out on purpose.

new-device: one cookie names up to MAX_ACCOUNTS accounts (the newest sign-ins), so a
browser shared by several accounts stays known to each of them; a sign-in without it
e-mails the owner (accounts.flows.new_device).
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from core.addresses import email_key

COOKIE_NAME = "hygate_device"
MAX_AGE = timedelta(days=365)
MAX_ACCOUNTS = 5
_SALT = "hygate.accounts.device"


def _account_tag(email: str) -> str:
    return salted_hmac(_SALT, email_key(email), algorithm="sha256").hexdigest()[:32]


def issue(user: User, earlier: list[str] | None = None) -> str:
    """Return a signed cookie value that marks this browser as one the user signed in from.

    `earlier` are the account tags the browser's cookie named before (new-device: kept).
    """
    mine = _account_tag(user.email)
    tags = [mine, *(tag for tag in earlier or [] if tag != mine)][:MAX_ACCOUNTS]
    return signing.dumps({"a": tags, "d": secrets.token_urlsafe(16)}, salt=_SALT)


def _read(request: HttpRequest) -> tuple[list[str], str]:
    """The account tags and the device id of this browser's cookie (none when forged)."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return [], ""
    try:
        data = signing.loads(value, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return [], ""
    if not isinstance(data, dict):
        return [], ""
    tags = data.get("a", [])
    tags = [tags] if isinstance(tags, str) else tags  # a cookie from before several accounts
    if not isinstance(tags, list):
        return [], ""
    return [str(tag) for tag in tags[:MAX_ACCOUNTS]], str(data.get("d", ""))


def remember(request: HttpRequest, user: User) -> None:
    """Have DeviceCookieMiddleware give this browser a device cookie for the user."""
    request.hygate_device_cookie = issue(user, _read(request)[0])


def trusted_device(request: HttpRequest, email: str) -> str | None:
    """Return this browser's device id if it signed in to the account of `email` before."""
    tags, device_id = _read(request)
    tag = _account_tag(email)
    if not any(constant_time_compare(known, tag) for known in tags):
        return None
    return hashlib.sha256(device_id.encode()).hexdigest()[:32]


class DeviceCookieMiddleware:
    """Set the device cookie that a completed sign-in asked for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        value = getattr(request, "hygate_device_cookie", None)
        if value:
            response.set_cookie(
                COOKIE_NAME,
                value,
                max_age=int(MAX_AGE.total_seconds()),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
