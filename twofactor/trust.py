"""Trusted browsers: "Trust this browser for 30 days" at the second step of signing in.

Like django-allauth's MFA_TRUST_ENABLED. A browser trusted at a second step carries
`hygate_trust`, a signed, HttpOnly, SameSite=Lax cookie (Secure wherever the session cookie
is) holding random tokens, one for each account trusted in it, so that several accounts
can share a browser; the server keeps one TrustedBrowser row per token, with the token's
SHA-256 only. A token counts only for the account of its row, until the row expires, while
the account's password is the one it was trusted under, and only for a step the site's
policy still accepts: a browser trusted with an e-mailed code skips nothing once the
policy asks for the app. It skips the second step of signing in, never the password, and
never the step-up before security changes.

Trust ends with the password (any new password, however set), with every bulk sign-out
(accounts.signals.sessions_ended: "end all other sessions", a password change or reset,
an operator's), with a staff two-factor reset, and one browser at a time from the
security page. The box to tick sits in the second step's code forms (twofactor.forms);
the wish waits in the pending sign-in until the sign-in completes (after the set-up of a
required app, if there is one), so the trust is given for the step actually passed.
"""

import hashlib
import secrets
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import User
from accounts.process import SessionProcess
from audit.events import Action, record
from core.ratelimit import client_ip
from twofactor import policy
from twofactor.models import TrustedBrowser
from twofactor.policy import Method, Requirement

COOKIE_NAME = "hygate_trust"
DAYS = 30
LIFETIME = timezone.timedelta(days=DAYS)
WISH_KEY = "trust_browser"
# Accounts trusted in one browser (the cookie keeps the newest), and browsers per account
# (past this many, the oldest trust ends: whoever passes the second step cannot pile rows).
MAX_TOKENS_PER_COOKIE = 5
MAX_BROWSERS_PER_USER = 20
_SALT = "hygate.twofactor.trust"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _password_hash(user: User) -> str:
    # Changes with every new password, as the sessions' own hash does.
    return _digest(user.get_session_auth_hash())


def _tokens(request: HttpRequest) -> list[str]:
    """The tokens of this browser's cookie; a forged or stale cookie holds none."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return []
    try:
        tokens = signing.loads(value, salt=_SALT, max_age=LIFETIME)
    except signing.BadSignature:
        return []
    if not isinstance(tokens, list):
        return []
    return [t for t in tokens[:MAX_TOKENS_PER_COOKIE] if isinstance(t, str) and len(t) < 100]


def _live(user: User) -> QuerySet[TrustedBrowser]:
    return TrustedBrowser.objects.filter(user=user, expires_at__gt=timezone.now())


def _holds_password(row: TrustedBrowser, user: User) -> bool:
    return constant_time_compare(row.password_hash, _password_hash(user))


def current(request: HttpRequest, user: User) -> TrustedBrowser | None:
    """The live trust this browser holds for the user, or None."""
    hashes = [_digest(token) for token in _tokens(request)]
    if not hashes:
        return None
    row = _live(user).filter(token_hash__in=hashes).first()
    return row if row is not None and _holds_password(row, user) else None


def _still_accepted(user: User, method: str, requirement: str) -> bool:
    accepted = policy.accepted_methods(user, requirement)
    if method == Method.RECOVERY:  # the app's own fallback: trusted as the app is
        return Method.TOTP.value in accepted
    return method in accepted


def skip_second_step(request: HttpRequest, user: User) -> str:
    """Return the step this browser was trusted with, if it may skip it now; record the skip.

    "" when no second step applies (nothing to skip), when a required app is still to be
    set up, or when the browser holds no live trust for a step the policy still accepts.
    """
    requirement = policy.required_for(user)
    if requirement is None or requirement == Requirement.ENROL:
        return ""
    row = current(request, user)
    if row is None or not _still_accepted(user, row.method, requirement):
        return ""
    row.last_used_at = timezone.now()
    row.save(update_fields=["last_used_at"])
    record(
        request,
        Action.SECOND_STEP_SKIPPED_TRUSTED,
        actor=user,
        target=user,
        method=row.method,
        trusted_browser=row.pk,
    )
    return row.method


def checkbox(element_id: str, *, explained: bool = True) -> forms.BooleanField:
    """The unticked "Trust this browser" box of a second-step form.

    Two forms share the page: the second box has an id of its own and, since a help text's
    id follows the field's name, no help text (the first one's says it all).
    """
    return forms.BooleanField(
        label=f"Trust this browser for {DAYS} days",
        required=False,
        help_text=(
            "You will still type your password here, but not a code. Leave it unticked on a "
            "computer that others use."
            if explained
            else ""
        ),
        widget=forms.CheckboxInput(attrs={"id": element_id}),
    )


def wish(pending: SessionProcess, ticked: bool) -> None:
    """Remember whether the box was ticked with the code that passed."""
    pending.state[WISH_KEY] = bool(ticked)
    pending.save()


def grant_if_wished(request: HttpRequest, pending: SessionProcess, user: User) -> None:
    """Trust this browser for the step this sign-in passed, if the box was ticked."""
    method = pending.state.get("passed_with", "")
    if pending.state.get(WISH_KEY) is True and method:
        trust_browser(request, user, method)


def _ip(request: HttpRequest) -> str | None:
    ip = client_ip(request).strip()
    try:
        TrustedBrowser._meta.get_field("ip_address").clean(ip, None)
    except Exception:
        return None
    return ip or None


def trust_browser(request: HttpRequest, user: User, method: str) -> TrustedBrowser:
    """Trust this browser for the user for 30 days, for the second step it passed with.

    The browser's earlier trust for the same user is replaced; its tokens for other
    accounts are kept while they live.
    """
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    mine = [_digest(t) for t in _tokens(request)]
    TrustedBrowser.objects.filter(user=user, token_hash__in=mine).delete()
    row = TrustedBrowser.objects.create(
        user=user,
        token_hash=_digest(token),
        password_hash=_password_hash(user),
        method=method,
        created_at=now,
        expires_at=now + LIFETIME,
        user_agent=request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:300],
        ip_address=_ip(request),
    )
    for old in _live(user).order_by("-created_at", "-pk")[MAX_BROWSERS_PER_USER:]:
        old.delete()
    others = set(
        TrustedBrowser.objects.filter(token_hash__in=mine, expires_at__gt=now).values_list(
            "token_hash", flat=True
        )
    )
    kept = [t for t in _tokens(request) if _digest(t) in others]
    tokens = [token, *kept][:MAX_TOKENS_PER_COOKIE]
    request.hygate_trust_cookie = signing.dumps(tokens, salt=_SALT)
    record(request, Action.BROWSER_TRUSTED, actor=user, target=user, method=method, days=DAYS)
    return row


def listed(request: HttpRequest) -> list[TrustedBrowser]:
    """The signed-in user's trusted browsers, newest first, this one marked `is_current`.

    Rows that no longer count (expired, or from before a new password) are removed here.
    """
    user = request.user
    mine = {_digest(t) for t in _tokens(request)}
    alive = []
    for row in TrustedBrowser.objects.filter(user=user):
        if row.expires_at > timezone.now() and _holds_password(row, user):
            row.is_current = row.token_hash in mine
            alive.append(row)
        else:
            row.delete()
    return alive


def stop_trusting(request: HttpRequest, browser_id: int) -> bool:
    """Stop trusting one of the signed-in user's browsers; say whether there was one."""
    row = TrustedBrowser.objects.filter(pk=browser_id, user=request.user).first()
    if row is None:
        return False
    row.delete()
    record(
        request,
        Action.TRUSTED_BROWSER_REVOKED,
        target=request.user,
        revoked=1,
        reason="requested",
        browser=row.browser,
    )
    return True


def stop_trusting_all(request: HttpRequest | None, user: User, reason: str) -> int:
    """Stop trusting every browser of the user; record it when there were any."""
    revoked, _ = TrustedBrowser.objects.filter(user=user).delete()
    if revoked:
        record(
            request,
            Action.TRUSTED_BROWSER_REVOKED,
            target=user,
            revoked=revoked,
            reason=reason,
        )
    return revoked


def on_sessions_ended(sender: object, request: HttpRequest | None, user: User, reason: str, **_):
    """A bulk sign-out ends the user's trusted browsers too."""
    stop_trusting_all(request, user, reason)


def purge_expired() -> int:
    """Delete expired trust; return how many rows went."""
    deleted, _ = TrustedBrowser.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


class TrustCookieMiddleware:
    """Set the trust cookie that a sign-in asked for (the view's response has no other way)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        value = getattr(request, "hygate_trust_cookie", None)
        if value:
            response.set_cookie(
                COOKIE_NAME,
                value,
                max_age=int(LIFETIME.total_seconds()),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
