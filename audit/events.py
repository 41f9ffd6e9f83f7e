"""Write the audit log: `record()` is the one way in.

    from audit.events import Action, record
    record(request, Action.SIGN_IN, target=user, method="totp")

`request` may be None in a flow that has none (e-mail delivery, a flow taking only a
user): the request being served, if any, is used for the IP address and browser then
(see RequestContextMiddleware). The actor defaults to the request's signed-in user;
`target` is a user (stored as a link) or text such as an organisation's slug or an
e-mail address (pass an address only when an account has it). Keyword arguments become
the event's details: names of fields, methods and outcomes, never passwords, codes,
tokens, keys or the values of settings.

Writing an event never breaks what it records: any failure is logged as a WARNING and
swallowed, and the write runs in its own savepoint so a database error cannot spoil the
caller's transaction.
"""

import contextvars
import ipaddress
import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Min, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse

from audit.models import AuditEvent
from core.ratelimit import client_ip

Action = AuditEvent.Action

logger = logging.getLogger("hygate.audit")

USER_AGENT_LENGTH = 300
TARGET_LENGTH = 320
DETAILS_MAX_CHARS = 2000
# Detail names that would mean a secret is about to be written; dropped, never stored.
FORBIDDEN_DETAILS = frozenset(
    {"password", "new_password", "code", "token", "secret", "api_key", "key", "otp"}
)

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "hygate_audit_request", default=None
)


class RequestContextMiddleware:
    """Make the request being served known to `record()` calls deep in flows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _clean(text: str, length: int) -> str:
    # PostgreSQL refuses NUL in text; a header or an address typed may carry one.
    return str(text).replace("\x00", "")[:length]


def _ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_ip(request).strip()))
    except ValueError:  # a forged or malformed X-Forwarded-For
        return None


def _actor(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _without_nul(value: Any) -> Any:
    # PostgreSQL's jsonb refuses NUL. Dropped from the values themselves: cutting "\u0000"
    # out of the JSON text would also cut a typed backslash-u0000 and break the text.
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(str(key)): _without_nul(item) for key, item in value.items()}
    return value


def _details(details: dict[str, Any]) -> dict[str, Any]:
    kept = {name: value for name, value in details.items() if name not in FORBIDDEN_DETAILS}
    # Measured as stored (not \u-escaped), so foreign text cannot push an event over.
    text = json.dumps(_without_nul(kept), ensure_ascii=False)  # raises on what JSON cannot hold
    if len(text) > DETAILS_MAX_CHARS:
        raise ValueError(f"audit details of {len(text)} characters are too long")
    return json.loads(text)


# What a user sees of their own account on the security page.
OWN_SECURITY_ACTIONS = (
    Action.SIGN_IN,
    Action.SIGN_IN_FAILED,
    Action.SIGNED_OUT,
    Action.EMAIL_VERIFIED,
    Action.TWO_FACTOR_PASSED,
    Action.TWO_FACTOR_FAILED,
    Action.TWO_FACTOR_LOCKED,
    Action.PASSWORD_RESET_REQUESTED,
    Action.PASSWORD_RESET_COMPLETED,
    Action.PASSWORD_CHANGED,
    Action.EMAIL_CHANGE_REQUESTED,
    Action.EMAIL_CHANGED,
    Action.EMAIL_CHANGE_UNDONE,
    Action.SESSION_ENDED,
    Action.AUTHENTICATOR_ADDED,
    Action.AUTHENTICATOR_REMOVED,
    Action.RECOVERY_CODES_REGENERATED,
    Action.RECOVERY_CODES_REMOVED,
    Action.AUTHENTICATOR_DISOWNED,
    Action.TWO_FACTOR_RESET_BY_STAFF,
    # trusted browsers and new-device notices
    Action.BROWSER_TRUSTED,
    Action.TRUSTED_BROWSER_REVOKED,
    Action.SECOND_STEP_SKIPPED_TRUSTED,
    Action.NEW_DEVICE_SIGN_IN,
    # passkeys
    Action.PASSKEY_ADDED,
    Action.PASSKEY_RENAMED,
    Action.PASSKEY_REMOVED,
    Action.PASSKEY_DISOWNED,
    Action.PASSKEY_SIGN_IN,
    Action.PASSKEY_CLONE_SUSPECTED,
)


# Anyone who knows an address can add these to its owner's list, as often as the limits
# allow: shown one line per run between the owner's other events, with a count.
COLLAPSED_ACTIONS = (Action.SIGN_IN_FAILED,)


def recent_for(user: Any, limit: int = 20) -> list[AuditEvent]:
    """Return the newest security events about the user's own account.

    Failed sign-ins (which strangers can cause) never push the owner's other events out:
    the newest `limit` other events are kept, and each run of failed sign-ins between them
    becomes one line, its newest failure, with `times` (how many) and `since` (the first).
    """
    mine = AuditEvent.objects.filter(target_user=user, action__in=OWN_SECURITY_ACTIONS)
    events = list(mine.exclude(action__in=COLLAPSED_ACTIONS).order_by("-created_at", "-pk")[:limit])
    failures = mine.filter(action__in=COLLAPSED_ACTIONS)
    if events and len(events) == limit:  # older failures fall off with the older events
        failures = failures.filter(created_at__gt=events[-1].created_at)
    events += _failure_runs(failures, events)
    events.sort(key=lambda event: (event.created_at, event.pk), reverse=True)
    for event in events:
        # Done by another account (staff): what was done is the user's to see, the address
        # and browser it came from are that person's, not the user's. Never saved.
        if event.actor_id is not None and event.actor_id != user.pk:
            event.ip_address, event.user_agent = None, ""
    return events


def _failure_runs(failures: QuerySet, shown: list[AuditEvent]) -> list[AuditEvent]:
    """Collapse the failures between the shown events into one event per run, in one query."""
    # Run i holds the failures newer than shown[i] and not newer than shown[i - 1]; the
    # last run, those older than every shown event.
    bounds = [event.created_at for event in shown]
    run = Case(
        *(When(created_at__gt=bound, then=Value(i)) for i, bound in enumerate(bounds)),
        default=Value(len(bounds)),
        output_field=IntegerField(),
    )
    runs = [
        r
        for r in failures.order_by()  # no default ordering in the GROUP BY
        .annotate(run=run)
        .values("run")
        .annotate(times=Count("pk"), since=Min("created_at"), newest=Max("pk"))
        if r["times"]  # no failures at all still gives one empty group per constant
    ]
    newest = AuditEvent.objects.in_bulk([r["newest"] for r in runs])
    collapsed = []
    for r in runs:
        event = newest[r["newest"]]
        event.times, event.since = r["times"], r["since"]
        collapsed.append(event)
    return collapsed


def record(
    request: HttpRequest | None,
    action: str,
    *,
    actor: Any = None,
    target: Any = None,
    **details: Any,
) -> AuditEvent | None:
    """Write one audit event; return it, or None if it could not be written (logged)."""
    try:
        request = request if request is not None else _current_request.get()
        is_user = hasattr(target, "pk") and hasattr(target, "get_session_auth_hash")
        event = AuditEvent(
            action=Action(action),
            actor=actor if actor is not None else _actor(request),
            target_user=target if is_user else None,
            target=_clean(target.email if is_user else (target or ""), TARGET_LENGTH),
            ip_address=_ip(request),
            user_agent=_clean(
                request.META.get("HTTP_USER_AGENT", "") if request else "", USER_AGENT_LENGTH
            ),
            details=_details(details),
        )
        with transaction.atomic():
            event.save()
        return event
    except Exception as error:
        logger.warning("[Audit] could not record %s: %s", action, type(error).__name__)
        return None
