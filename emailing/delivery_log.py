"""Housekeeping of the delivery log: rows a stopped process left "queued" end as failed.

A send finishes within HYGATE_EMAIL_SEND_DEADLINE, so a row still queued well after that
belongs to a process that was killed mid-send (a worker timeout, a restart). It is marked
failed with the code `interrupted`: by `manage.py purge_expired`, by `manage.py
email_status`, and once in each process, when it sends its first message.

A row that still holds its payload is queued mail waiting for a run (emailing.queue): it
is never swept, however long it waits; `emailing.queue.requeue_abandoned()` takes it up.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from emailing.models import EmailLog

logger = logging.getLogger("hygate.emailing")

# Room for a slow database and clock drift between servers on top of the send deadline.
MARGIN = timedelta(minutes=1)
INTERRUPTED = "Still queued long after the send deadline: the sending process stopped."

_lock = threading.Lock()
_done = False


def fail_interrupted() -> int:
    """Mark queued rows older than the send deadline (plus a margin) failed; return how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.HYGATE_EMAIL_SEND_DEADLINE) - MARGIN
    stuck = EmailLog.objects.filter(
        status=EmailLog.Status.QUEUED, created_at__lt=cutoff, payload=""
    )
    return stuck.update(
        status=EmailLog.Status.FAILED,
        error_code="interrupted",
        error_message=INTERRUPTED,
        updated_at=timezone.now(),
    )


def fail_interrupted_once() -> None:
    """Run `fail_interrupted()` the first time this process sends mail; never raise."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        _done = True
        try:
            with (
                transaction.atomic()
            ):  # a savepoint, so a failure leaves the caller's transaction usable
                count = fail_interrupted()
        except DatabaseError:
            logger.exception(
                "[EmailService] could not check the delivery log for interrupted sends"
            )
            return
        if count:
            logger.warning("[EmailService] %d interrupted deliveries marked failed", count)
