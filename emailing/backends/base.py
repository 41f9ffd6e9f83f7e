"""What every Hygate mail backend shares: the send loop, retries, logging, the delivery log.

A provider subclass only translates: `send_one()` hands one message to the provider and
returns its message id, or raises an `EmailDeliveryError` saying whether a retry may help.

Every send has one deadline for all its tries together (HYGATE_EMAIL_SEND_DEADLINE), so a
provider that never answers cannot hold a request past the web server's worker timeout:
each attempt runs under a wall-clock watchdog (emailing.backends.watchdog) that cuts its
connection when the time left is up, however slowly the provider drips its answer; each
network timeout is capped by `attempt_timeout()`, and no retry starts, nor any wait
before one, that would end after the deadline.

More than one message at once goes out in batches where the provider has a batch call
(`send_many()`), one Idempotency-Key per batch. Every call waits for a slot under the
provider's rate (emailing.provider_rate). A primary that still fails after its retries
with trouble of its own hands over to the secondary provider, when one is configured.
"""

import logging
import time
from dataclasses import replace

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from audit.events import Action, record
from emailing import delivery_log, provider_rate
from emailing.backends import watchdog
from emailing.errors import EmailDeliveryError, fails_over
from emailing.messages import log_entry_for
from emailing.models import EmailLog
from emailing.signals import announce

logger = logging.getLogger("hygate.emailing")

# A socket timeout of 0 would switch the socket to non-blocking mode; never go below this.
MIN_ATTEMPT_TIMEOUT = 0.01


def retry_delay(error: EmailDeliveryError, attempt: int) -> float:
    """Seconds to wait before the next attempt: the provider's retry-after, else backoff."""
    if error.retry_after is not None:
        return error.retry_after
    base = settings.HYGATE_EMAIL_RETRY_BASE_DELAY
    return min(base * 2 ** (attempt - 1), settings.HYGATE_EMAIL_RETRY_MAX_DELAY)


class HygateEmailBackend(BaseEmailBackend):
    """A Django mail backend that retries transient failures and records every delivery."""

    provider = ""
    # Calls count against HYGATE_EMAIL_RATE (not the terminal, nor the test outbox).
    rate_limited = False
    # The most messages one batch call takes; 1: the provider has no batch call.
    batch_size = 1

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        self.max_attempts = kwargs.pop("max_attempts", settings.HYGATE_EMAIL_MAX_ATTEMPTS)
        self.send_deadline = float(kwargs.pop("send_deadline", settings.HYGATE_EMAIL_SEND_DEADLINE))
        self.failover: HygateEmailBackend | None = kwargs.pop("failover", None)
        self._deadline: float | None = None

    def send_one(self, message: EmailMessage, idempotency_key: str) -> str:
        """Hand one message to the provider once; return the provider's message id."""
        raise NotImplementedError

    def send_many(self, messages: list[EmailMessage], idempotency_key: str) -> list[str]:
        """Hand several messages to the provider in one call; return their ids in order."""
        raise NotImplementedError

    def time_left(self) -> float:
        """Return the seconds left before the deadline of the send in progress."""
        if self._deadline is None:
            return self.send_deadline
        return max(0.0, self._deadline - time.monotonic())

    def attempt_timeout(self, configured: float | None) -> float:
        """Return the next attempt's network timeout: `configured`, capped by the time left."""
        left = self.time_left()
        timeout = min(configured, left) if configured else left
        return max(timeout, MIN_ATTEMPT_TIMEOUT)

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        if not email_messages:
            return 0
        delivery_log.fail_interrupted_once()
        opened = self.open()
        try:
            singles, batches = self._group(email_messages)
            sent = sum(self._deliver_batch(batch) for batch in batches)
            return sent + sum(1 for message in singles if self._deliver(message))
        finally:
            if opened:
                self.close()

    def _group(self, messages: list[EmailMessage]) -> tuple[list, list[list]]:
        """Split messages into those sent one by one and batches for the batch call."""
        if self.batch_size <= 1 or len(messages) <= 1:
            return list(messages), []
        singles = [m for m in messages if m.attachments]
        rest = [m for m in messages if not m.attachments]
        batches = [rest[i : i + self.batch_size] for i in range(0, len(rest), self.batch_size)]
        singles += [batch[0] for batch in batches if len(batch) == 1]
        return singles, [batch for batch in batches if len(batch) > 1]

    def _deliver(self, message: EmailMessage) -> bool:
        entry = getattr(message, "delivery_log", None) or log_entry_for(message)
        return bool(
            self._run([entry], lambda: [self.send_one(message, entry.idempotency_key)], [message])
        )

    def _deliver_batch(self, messages: list[EmailMessage]) -> int:
        entries = [getattr(m, "delivery_log", None) or log_entry_for(m) for m in messages]
        # The batch's key is kept on its entries, so a retry by another worker repeats it.
        key = entries[0].batch_key or f"hygate-batch-{entries[0].idempotency_key}"
        return self._run(entries, lambda: self.send_many(messages, key), messages)

    def _run(self, entries: list[EmailLog], call, messages: list[EmailMessage]) -> int:
        for entry in entries:
            entry.provider = self.provider
        self._deadline = time.monotonic() + self.send_deadline
        try:
            return self._attempt_until_done(entries, call, messages)
        except BaseException:
            # The process is being stopped mid-send (a worker timeout, a signal): say so in
            # the log rather than leave the row queued for ever. A row a queue worker holds
            # ("sending") is left for the next worker, which repeats its Idempotency-Key.
            for entry in entries:
                if entry.status == EmailLog.Status.QUEUED:
                    try:
                        self._record_failure(entry, EmailDeliveryError("interrupted"))
                    except Exception:  # the sweep in delivery_log catches it later
                        logger.exception("[EmailService] could not log an interrupted send")
            raise
        finally:
            self._deadline = None

    def _attempt_until_done(self, entries: list[EmailLog], call, messages) -> int:
        while True:
            for entry in entries:
                entry.attempts += 1
            try:
                self._wait_for_rate()
                message_ids = self._call_before_deadline(call)
            except EmailDeliveryError as error:
                delay = self._wait_before_retry(error, entries[0].attempts)
                if delay is not None:
                    time.sleep(delay)
                    continue
                return self._give_up(entries, self._final(error, entries[0].attempts), messages)
            except Exception as error:  # a provider bug must still end up logged
                for entry in entries:
                    self._record_failure(entry, EmailDeliveryError("provider_error", repr(error)))
                if self.fail_silently:
                    return 0
                raise
            for entry, message_id in zip(entries, message_ids, strict=True):
                self._record_success(entry, message_id)
            return len(entries)

    def _call_before_deadline(self, call):
        """Make one attempt; cut it off when the send's deadline passes."""
        with watchdog.deadline(self.time_left()) as dog:
            try:
                return call()
            except Exception as error:
                if not dog.fired:
                    raise
                raise EmailDeliveryError(
                    "connection_failed",
                    f"Gave up at the {self.send_deadline:g} s deadline for one send "
                    "(HYGATE_EMAIL_SEND_DEADLINE): the provider had not finished answering.",
                ) from error

    def _wait_for_rate(self) -> None:
        if self.rate_limited and not provider_rate.wait_for_slot(self._deadline):
            raise EmailDeliveryError(
                "rate_limit_exceeded",
                f"No slot under HYGATE_EMAIL_RATE ({settings.HYGATE_EMAIL_RATE:g}/s) in time.",
                retryable=True,
            )

    def _give_up(self, entries: list[EmailLog], error: EmailDeliveryError, messages) -> int:
        """End a send that failed for good here: fail over, leave it to the queue, or fail it."""
        if self.failover is not None and fails_over(error):
            return self._fail_over(entries, error, messages)
        for entry in entries:
            if entry.may_retry_later(error):
                entry.defer(error)
            else:
                self._record_failure(entry, error)
        if self.fail_silently or len(entries) > 1:
            return 0
        raise error from None

    def _fail_over(self, entries: list[EmailLog], error: EmailDeliveryError, messages) -> int:
        logger.warning(
            "[EmailService] Failing over to %s after %s from %s (%d message(s))",
            self.failover.provider,
            error.code,
            self.provider,
            len(entries),
        )
        sent = 0
        for entry, message in zip(entries, messages, strict=True):
            if not self._still_ours(entry):
                continue  # a run that took the batch over sends it, under its own claim
            entry.failed_over = True
            message.delivery_log = entry
            try:
                sent += self.failover.send_messages([message])
            except EmailDeliveryError:
                if self.fail_silently or len(entries) > 1:
                    continue
                raise
        return sent

    @staticmethod
    def _still_ours(entry: EmailLog) -> bool:
        """Renew a queue run's claim on an entry before a slow send; False if it was lost.

        A failover sends a batch one message at a time and may outlast the time after which
        another worker takes a "sending" batch for abandoned; renewing the claim before each
        message keeps it ours, and a claim already taken over is left to its new run.
        """
        if not entry.claimed_by:
            return True
        return bool(
            EmailLog.objects.filter(pk=entry.pk, claimed_by=entry.claimed_by).update(
                updated_at=timezone.now()
            )
        )

    def _wait_before_retry(self, error: EmailDeliveryError, attempt: int) -> float | None:
        """Return the seconds to wait before trying again, or None when this failure is final."""
        if not error.retryable or attempt >= self.max_attempts or self._wait_too_long(error):
            return None
        delay = retry_delay(error, attempt)
        return delay if delay < self.time_left() else None

    def _wait_too_long(self, error: EmailDeliveryError) -> bool:
        """Say whether the provider asks for a longer wait than this send may spend."""
        return error.retry_after is not None and (
            error.retry_after > settings.HYGATE_EMAIL_RETRY_MAX_DELAY
            or error.retry_after >= self.time_left()
        )

    def _final(self, error: EmailDeliveryError, attempts: int) -> EmailDeliveryError:
        """Return the error to report, saying how long the provider asked to wait, if it did."""
        if error.retry_after is not None:
            note = f"The provider asked to wait {error.retry_after:g} s before trying again."
        elif error.retryable and attempts < self.max_attempts:
            note = (
                f"Gave up after {attempts} attempt(s): another would have passed the "
                f"{self.send_deadline:g} s deadline for one send."
            )
        else:
            return error
        return replace(error, provider_message=f"{error.provider_message} {note}".strip())

    def _record_success(self, entry: EmailLog, message_id: str) -> None:
        entry.status = EmailLog.Status.SENT
        entry.provider_message_id = message_id[:255]
        entry.error_code = entry.error_message = entry.payload = ""
        entry.sent_at = timezone.now()
        entry.save()
        announce(entry)
        logger.info(
            "[EmailService] Email sent successfully kind=%s provider=%s message_id=%s attempts=%d",
            entry.kind,
            self.provider,
            message_id,
            entry.attempts,
        )

    def _record_failure(self, entry: EmailLog, error: EmailDeliveryError) -> None:
        entry.status = EmailLog.Status.FAILED
        entry.error_code = error.code
        entry.error_message = error.provider_message[:500]
        entry.payload = ""
        entry.save()
        announce(entry)
        logger.warning(
            "[EmailService] Email failed kind=%s provider=%s error=%s attempts=%d",
            entry.kind,
            self.provider,
            error.code,
            entry.attempts,
        )
        record(
            None,
            Action.EMAIL_FAILED,
            target=entry.recipient,
            kind=entry.kind,
            provider=self.provider,
            error_code=error.code,
            attempts=entry.attempts,
        )
