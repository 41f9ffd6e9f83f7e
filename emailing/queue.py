"""Queued mail: rendered messages kept (encrypted) in the delivery log until a run sends them.

A queued message is a delivery-log entry with a `payload` and a `batch_key`. Messages
queued together share a batch key (at most 100 to a key). A run claims the entries of one
batch key (status "sending", `claimed_by` its own token), sends them through the configured
backend, in one batch call where the provider has one, and clears the payloads. Under
HYGATE_EMAIL_QUEUE=database the run is a task for `manage.py db_worker`, enqueued once the
transaction that queued the mail commits; under `immediate` it runs in this process, after
the response where there is a request.

Several workers never send one entry twice: a run claims entries with a conditional UPDATE,
so only one run holds them. A worker that dies mid-send leaves its entries "sending"; a
later run takes them over and repeats the batch's Idempotency-Key, which the provider
answers from its cache.
"""

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import task

from core import crypto
from core.after_response import after_response
from emailing.models import EmailLog, Suppression
from emailing.signals import announce

logger = logging.getLogger("hygate.emailing")

BATCH_SIZE = 100
# A "sending" entry whose run has not touched it for this long belongs to a dead worker.
STALE_AFTER = timedelta(minutes=2)
ABANDONED = "Every run that took this mail stopped before it finished, for an hour of retries."


def uses_worker() -> bool:
    """Say whether queued mail waits for `manage.py db_worker` (HYGATE_EMAIL_QUEUE=database)."""
    return settings.HYGATE_EMAIL_QUEUE == "database"


def encode(message: EmailMessage) -> str:
    """Return the rendered message as an encrypted payload."""
    html = [c for c, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"]
    data = {
        "subject": message.subject,
        "body": message.body,
        "html": html[0] if html else "",
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
        "kind": getattr(message, "hygate_kind", ""),
    }
    return crypto.encrypt(json.dumps(data))


def decode(payload: str) -> EmailMultiAlternatives:
    """Rebuild the message an encrypted payload holds."""
    data = json.loads(crypto.decrypt(payload))
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        headers=data["headers"],
    )
    if data["html"]:
        message.attach_alternative(data["html"], "text/html")
    message.hygate_kind = data["kind"]
    return message


def queue(messages: list[EmailMessage]) -> list[EmailLog]:
    """Log each message as queued with its payload, in batches of at most 100."""
    entries = []
    now = timezone.now()
    for start in range(0, len(messages), BATCH_SIZE):
        batch_key = f"hygate-batch-{uuid.uuid4()}"
        for message in messages[start : start + BATCH_SIZE]:
            entries.append(
                EmailLog(
                    kind=getattr(message, "hygate_kind", EmailLog.Kind.NOTICE),
                    recipient=", ".join(message.recipients())[:320],
                    subject=message.subject[:255],
                    reference=getattr(message, "hygate_reference", ""),
                    payload=encode(message),
                    batch_key=batch_key,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    EmailLog.objects.bulk_create(entries)
    return entries


def dispatch(batch_keys: Iterable[str], request: HttpRequest | None = None) -> None:
    """Have the batches sent: by a worker once the transaction commits, or in this process."""
    keys = list(dict.fromkeys(batch_keys))
    if uses_worker():
        transaction.on_commit(lambda: [deliver_batch.enqueue(key) for key in keys])
    elif request is not None:
        after_response(request, lambda: [deliver_batch.enqueue(key) for key in keys])
    else:
        for key in keys:
            deliver_batch.enqueue(key)


def claim(batch_key: str) -> list[EmailLog]:
    """Take the batch's waiting entries, or those a dead worker left, for this run only."""
    token = uuid.uuid4().hex
    now = timezone.now()
    waiting = Q(status=EmailLog.Status.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(status=EmailLog.Status.SENDING, updated_at__lt=now - STALE_AFTER)
    # Left again and again (each run killed, say for its memory): once the hour of retries
    # is over, the mail fails and its payload goes, instead of being taken up for ever.
    retry_for = timedelta(seconds=settings.HYGATE_EMAIL_QUEUE_RETRY_FOR)
    EmailLog.objects.filter(abandoned, batch_key=batch_key, created_at__lt=now - retry_for).exclude(
        payload=""
    ).update(
        status=EmailLog.Status.FAILED,
        error_code="interrupted",
        error_message=ABANDONED,
        payload="",
        claimed_by="",
        updated_at=now,
    )
    EmailLog.objects.filter(waiting | abandoned, batch_key=batch_key).exclude(payload="").update(
        status=EmailLog.Status.SENDING, claimed_by=token, updated_at=now
    )
    return list(EmailLog.objects.filter(claimed_by=token).order_by("id"))


def run(batch_key: str) -> int:
    """Send the waiting entries of one batch; return how many were sent."""
    entries = claim(batch_key)
    if not entries:
        return 0
    messages = []
    for entry in entries:
        if entry.attempts == 0 and Suppression.is_suppressed(entry.recipient):
            skip_suppressed(entry)
            continue
        try:
            message = decode(entry.payload)
        except (crypto.SecretUnreadable, ValueError, KeyError, TypeError):
            fail_unreadable(entry)
            continue
        message.delivery_log = entry
        messages.append(message)
    sent = get_connection(fail_silently=True).send_messages(messages) if messages else 0
    retry_later = {e.next_attempt_at for e in entries if e.status == EmailLog.Status.QUEUED}
    if retry_later and uses_worker():
        deliver_batch.using(run_after=max(retry_later)).enqueue(batch_key)
    return sent


def skip_suppressed(entry: EmailLog) -> None:
    """Fail a queued entry whose address is suppressed, without calling the provider."""
    entry.status = EmailLog.Status.FAILED
    entry.error_code = "suppressed"
    entry.error_message = "The address is on the suppression list."
    entry.payload = entry.claimed_by = ""
    entry.save()
    announce(entry)
    logger.warning("[EmailService] Email skipped kind=%s error=suppressed", entry.kind)


def fail_unreadable(entry: EmailLog) -> None:
    """Fail a queued entry whose payload no key can decrypt (or that is not a message)."""
    entry.status = EmailLog.Status.FAILED
    entry.error_code = "unreadable_payload"
    entry.error_message = "No key in HYGATE_ENCRYPTION_KEY decrypts the queued message."
    entry.payload = entry.claimed_by = ""
    entry.save()
    announce(entry)
    logger.warning("[EmailService] Email failed kind=%s error=unreadable_payload", entry.kind)


def requeue_abandoned() -> int:
    """Enqueue again the batches that a dead worker left, or whose task was lost.

    Without a worker, a process killed before its after-response run leaves its batch
    queued: this (from the next run's sweep, or `purge_expired`) sends it in this process.
    """
    now = timezone.now()
    stale = EmailLog.objects.exclude(payload="").filter(
        Q(status=EmailLog.Status.SENDING, updated_at__lt=now - STALE_AFTER)
        | Q(status=EmailLog.Status.QUEUED, next_attempt_at__lt=now - STALE_AFTER)
    )
    keys = set(stale.values_list("batch_key", flat=True))
    if keys:
        dispatch(keys)
    return len(keys)


# Every run looks for batches a dead worker left or that wait for a retry, at most once a
# minute between all processes. Without a worker (HYGATE_EMAIL_QUEUE=immediate) this is
# what retries them, with `manage.py purge_expired` from cron for a quiet site.
SWEEP_KEY = "hygate:email-queue:sweep"
SWEEP_EVERY = 60


@task()
def deliver_batch(batch_key: str) -> int:
    """Send the waiting mail of one batch; return how many were sent (a worker's task)."""
    sent = run(batch_key)
    if cache.add(SWEEP_KEY, 1, timeout=SWEEP_EVERY):
        requeue_abandoned()
    return sent
