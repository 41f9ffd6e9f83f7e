"""What every Hygate mail backend shares: the send loop, retries, logging, the delivery log.

A provider subclass only translates: `send_one()` hands one message to the provider and
returns its message id, or raises an `EmailDeliveryError` saying whether a retry may help.

Every send has one deadline for all its tries together (HYGATE_EMAIL_SEND_DEADLINE), so a
provider that never answers cannot hold a request past the web server's worker timeout:
each attempt's network timeout is capped by `attempt_timeout()`, and no retry starts, nor
any wait before one, that would end after the deadline.
"""

import logging
import time
from dataclasses import replace

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from audit.events import Action, record
from emailing import delivery_log
from emailing.errors import EmailDeliveryError
from emailing.messages import log_entry_for
from emailing.models import EmailLog

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

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        self.max_attempts = kwargs.pop("max_attempts", settings.HYGATE_EMAIL_MAX_ATTEMPTS)
        self.send_deadline = float(kwargs.pop("send_deadline", settings.HYGATE_EMAIL_SEND_DEADLINE))
        self._deadline: float | None = None

    def send_one(self, message: EmailMessage, idempotency_key: str) -> str:
        """Hand one message to the provider once; return the provider's message id."""
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
            return sum(1 for message in email_messages if self._deliver(message))
        finally:
            if opened:
                self.close()

    def _deliver(self, message: EmailMessage) -> bool:
        entry = getattr(message, "delivery_log", None) or log_entry_for(message)
        entry.provider = self.provider
        self._deadline = time.monotonic() + self.send_deadline
        try:
            return self._attempt_until_done(entry, message)
        except BaseException:
            # The process is being stopped mid-send (a worker timeout, a signal): say so in
            # the log rather than leave the row queued for ever.
            if entry.status == EmailLog.Status.QUEUED:
                try:
                    self._record_failure(entry, EmailDeliveryError("interrupted"))
                except Exception:  # the sweep in delivery_log catches it later
                    logger.exception("[EmailService] could not log an interrupted send")
            raise
        finally:
            self._deadline = None

    def _attempt_until_done(self, entry: EmailLog, message: EmailMessage) -> bool:
        while True:
            entry.attempts += 1
            try:
                message_id = self.send_one(message, entry.idempotency_key)
            except EmailDeliveryError as error:
                delay = self._wait_before_retry(error, entry.attempts)
                if delay is not None:
                    time.sleep(delay)
                    continue
                final = self._final(error, entry.attempts)
                self._record_failure(entry, final)
                if self.fail_silently:
                    return False
                raise final from None
            except Exception as error:  # a provider bug must still end up logged
                self._record_failure(entry, EmailDeliveryError("provider_error", repr(error)))
                if self.fail_silently:
                    return False
                raise
            self._record_success(entry, message_id)
            return True

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
        entry.error_code = entry.error_message = ""
        entry.sent_at = timezone.now()
        entry.save()
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
        entry.save()
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
