"""Resend's delivery webhooks: what became of each mail, and the addresses to stop mailing.

Resend signs every webhook the svix way (svix-id, svix-timestamp, svix-signature) with the
`whsec_` secret of the endpoint; it is saved encrypted on Settings -> Email (or given as
RESEND_WEBHOOK_SECRET). A request that is unsigned, signed with another secret or more
than 5 minutes old gets 400 and changes nothing. A svix-id whose event was applied is
answered 200 and ignored: it is remembered in the cache, once the event is committed, for
twice the tolerance, after which the timestamp check refuses it anyway.
"""

import json
import logging
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from svix.webhooks import Webhook, WebhookVerificationError

from core.crypto import SecretUnreadable
from emailing.models import EmailLog, EmailSettings, Suppression, normalise_address
from emailing.signals import announce

logger = logging.getLogger("hygate.emailing")

REPLAY_KEY = "hygate:webhook:svix:{id}"
REPLAY_MEMORY = 10 * 60  # twice svix's 5-minute tolerance
EVENTS = {
    "email.delivered": EmailLog.Event.DELIVERED,
    "email.delivery_delayed": EmailLog.Event.DELAYED,
    "email.bounced": EmailLog.Event.BOUNCED,
    "email.complained": EmailLog.Event.COMPLAINED,
    "email.failed": EmailLog.Event.FAILED,
}


def webhook_secret() -> str:
    """Return the signing secret in force: the saved one, else RESEND_WEBHOOK_SECRET."""
    saved = EmailSettings.load()
    try:
        secret = saved.get_webhook_secret() if saved is not None else ""
    except SecretUnreadable:
        secret = ""
    return secret or settings.RESEND_WEBHOOK_SECRET


def verify(body: bytes, headers: dict[str, str], secret: str) -> bool:
    """Say whether the body carries a valid, fresh svix signature made with `secret`."""
    if not secret:
        return False
    try:
        Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError, UnicodeDecodeError):
        return False
    return True


def record_event(event: dict) -> int:
    """Apply one webhook event to the delivery log and the suppression list; return rows."""
    kind = EVENTS.get(str(event.get("type", "")))
    data = event.get("data")
    data = data if isinstance(data, dict) else {}
    message_id = str(data.get("email_id") or "")
    if kind is None or not message_id:
        return 0
    at = _event_time(event.get("created_at"))
    with transaction.atomic():
        ours = EmailLog.objects.filter(provider_message_id=message_id)
        updated = _apply_in_provider_order(ours, kind, at)
        if _suppresses(kind, data):
            reason = (
                Suppression.Reason.COMPLAINED
                if kind == EmailLog.Event.COMPLAINED
                else Suppression.Reason.BOUNCED
            )
            detail = str(_bounce(data).get("message", ""))[:500]
            for address in _our_recipients(ours, data.get("to")):
                Suppression.objects.get_or_create(
                    address=address,
                    defaults={
                        "reason": reason,
                        "detail": detail,
                        "provider_message_id": message_id,
                    },
                )
    return updated


# Outcomes that win a tie with an event of the same provider time: a bounce stays a bounce.
BAD_OUTCOMES = {EmailLog.Event.BOUNCED, EmailLog.Event.COMPLAINED, EmailLog.Event.FAILED}


def _apply_in_provider_order(ours, kind: str, at: datetime) -> int:
    """Record the event on the entries whose last applied event is older; announce them.

    Webhooks arrive in any order (retries, parallel deliveries): a "delivered" created
    before a "bounced" but received after it must not overwrite it. The provider's
    `created_at` decides, kept in `event_at`.
    """
    newer = Q(event_at__isnull=True) | Q(event_at__lt=at)
    if kind in BAD_OUTCOMES:
        newer |= Q(event_at=at)
    pks = list(ours.filter(newer).select_for_update().values_list("pk", flat=True))
    updated = EmailLog.objects.filter(pk__in=pks).update(
        event=kind, event_at=at, updated_at=timezone.now()
    )
    for entry in EmailLog.objects.filter(pk__in=pks).exclude(reference=""):
        announce(entry)
    return updated


def _event_time(value) -> datetime:
    try:
        return parse_datetime(str(value or "")) or timezone.now()
    except ValueError:  # well formed but no such time: 2026-13-45
        return timezone.now()


def _bounce(data: dict) -> dict:
    bounce = data.get("bounce")
    return bounce if isinstance(bounce, dict) else {}


def _our_recipients(entries, reported) -> set[str]:
    """The addresses our own mail went to that the event names, normalised.

    The provider's account may send for other applications too, and their events reach
    this endpoint signed like ours: an event suppresses only an address Hygate mailed
    under that message id, never one it merely lists.
    """
    if isinstance(reported, str):
        reported = [reported]
    named = {normalise_address(parseaddr(str(a))[1]) for a in reported or [] if isinstance(a, str)}
    return {
        normalise_address(address)
        for recipients in entries.values_list("recipient", flat=True)
        for address in recipients.split(", ")
        if normalise_address(address) in named
    }


def _suppresses(kind: str, data: dict) -> bool:
    """A complaint, or a bounce the provider calls permanent (a hard bounce)."""
    if kind == EmailLog.Event.COMPLAINED:
        return True
    return kind == EmailLog.Event.BOUNCED and str(_bounce(data).get("type", "")).lower() in (
        "permanent",
        "hard",
    )


@csrf_exempt  # signed by the provider instead; no browser session is involved
@require_POST
def resend_webhook_view(request: HttpRequest) -> HttpResponse:
    """Receive one of Resend's signed delivery events."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    if not verify(request.body, headers, webhook_secret()):
        logger.warning("[EmailService] Webhook refused: bad or missing signature")
        return HttpResponseBadRequest("bad signature")
    # The id svix verified: it takes the unbranded webhook-* headers when svix-* are absent.
    message_id = headers.get("svix-id") or headers.get("webhook-id", "")
    replay_key = REPLAY_KEY.format(id=message_id[:100])
    if cache.get(replay_key):
        return JsonResponse({"status": "ignored", "reason": "replayed"})
    try:
        event = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("not JSON")
    if not isinstance(event, dict):
        return HttpResponseBadRequest("not an event")
    updated = record_event(event)
    # Remember the id only now that its event is committed (record_event commits its own
    # transaction; requests are not atomic): a delivery that failed (a 500 from a busy
    # database) is applied when Resend retries it. Two deliveries of one id at once both
    # apply it, which changes nothing: applying an event twice is harmless.
    cache.set(replay_key, 1, timeout=REPLAY_MEMORY)
    return JsonResponse({"status": "ok", "updated": updated})
