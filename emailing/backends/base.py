"""What every Hygate mail backend shares: the send loop, retries, logging, the delivery log.

A provider subclass only translates: `send_one()` hands one message to the provider and
returns its message id, or raises an `EmailDeliveryError` saying whether a retry may help.
"""

import logging
import time

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from audit.events import Action, record
from emailing.errors import EmailDeliveryError
from emailing.messages import log_entry_for
from emailing.models import EmailLog

logger = logging.getLogger("hygate.emailing")


def retry_delay(error: EmailDeliveryError, attempt: int) -> float:
    """Seconds to wait before the next attempt: the provider's retry-after, else backoff."""
    cap = settings.HYGATE_EMAIL_RETRY_MAX_DELAY
    if error.retry_after is not None:
        return min(error.retry_after, cap)
    return min(settings.HYGATE_EMAIL_RETRY_BASE_DELAY * 2 ** (attempt - 1), cap)


class HygateEmailBackend(BaseEmailBackend):
    """A Django mail backend that retries transient failures and records every delivery."""

    provider = ""

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        self.max_attempts = kwargs.pop("max_attempts", settings.HYGATE_EMAIL_MAX_ATTEMPTS)

    def send_one(self, message: EmailMessage, idempotency_key: str) -> str:
        """Hand one message to the provider once; return the provider's message id."""
        raise NotImplementedError

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        if not email_messages:
            return 0
        opened = self.open()
        try:
            return sum(1 for message in email_messages if self._deliver(message))
        finally:
            if opened:
                self.close()

    def _deliver(self, message: EmailMessage) -> bool:
        entry = getattr(message, "delivery_log", None) or log_entry_for(message)
        entry.provider = self.provider
        while True:
            entry.attempts += 1
            try:
                message_id = self.send_one(message, entry.idempotency_key)
            except EmailDeliveryError as error:
                if error.retryable and entry.attempts < self.max_attempts:
                    time.sleep(retry_delay(error, entry.attempts))
                    continue
                self._record_failure(entry, error)
                if not self.fail_silently:
                    raise
                return False
            except Exception as error:  # a provider bug must still end up logged
                self._record_failure(entry, EmailDeliveryError("provider_error", repr(error)))
                if not self.fail_silently:
                    raise
                return False
            self._record_success(entry, message_id)
            return True

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
