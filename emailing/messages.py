"""Render one kind of e-mail from its templates and deliver it, recording the delivery.

Every message Hygate sends goes through `send_message()`: it renders
`templates/email/<name>.subject.txt`, `.txt` and `.html`, writes a delivery-log entry
and hands both to `deliver()`, the one function a background worker can take over.

Under HYGATE_EMAIL_QUEUE=database the kinds in `QUEUED_KINDS` go to the queue instead
(emailing.queue): nobody stands at a page waiting for them. Codes, two-factor codes,
password resets and test messages still leave in the request, so the page can say at once
whether they went. Mail to a suppressed address is never sent: its entry fails with the
code `suppressed` and the caller learns it.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from audit.events import Action, record
from emailing import queue
from emailing.errors import EmailDeliveryError
from emailing.models import EmailLog, Suppression
from emailing.signals import announce

logger = logging.getLogger("hygate.emailing")

# Template name -> the kind recorded in the delivery log.
KINDS = {
    "verification_code": EmailLog.Kind.VERIFICATION,
    "account_exists": EmailLog.Kind.NOTICE,
    "code_lock": EmailLog.Kind.NOTICE,
    "two_factor_code": EmailLog.Kind.TWO_FACTOR,
    "password_reset": EmailLog.Kind.PASSWORD_RESET,
    "test_message": EmailLog.Kind.TEST,
    "security_notice": EmailLog.Kind.NOTICE,
    "account_notice": EmailLog.Kind.NOTICE,
    "email_change_code": EmailLog.Kind.VERIFICATION,
    "invitation": EmailLog.Kind.INVITATION,
    "new_device": EmailLog.Kind.NOTICE,  # new-device notice
}
QUEUED_KINDS = {EmailLog.Kind.INVITATION, EmailLog.Kind.NOTICE}


@dataclass(frozen=True)
class Delivery:
    """What became of one message: sent with the provider's id, or failed with an error."""

    sent: bool
    message_id: str = ""
    error: EmailDeliveryError | None = None
    queued: bool = False  # handed to the queue; the delivery log will say how it went

    @property
    def error_code(self) -> str:
        return self.error.code if self.error else ""


def render_message(
    name: str, to: str, context: dict[str, Any], reference: str = ""
) -> EmailMultiAlternatives:
    """Build the message `name` for one recipient, with its plain-text and HTML parts.

    `reference` ("invitation:12") names what the mail is about: its delivery-log entry
    carries it, and emailing.signals.delivery_outcome tells its owner what became of it.
    """
    context = {"site_url": settings.HYGATE_SITE_URL, "site_name": "Hygate", **context}
    subject = render_to_string(f"email/{name}.subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"email/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"email/{name}.html", context), "text/html")
    message.hygate_kind = KINDS[name]
    message.hygate_reference = reference
    return message


def deliver(entry: EmailLog, message: EmailMessage, connection=None) -> Delivery:
    """Send one logged message through the configured backend (or `connection`)."""
    message.delivery_log = entry
    if connection is not None:
        message.connection = connection
    if Suppression.is_suppressed(entry.recipient):
        return _skip_suppressed(entry)
    try:
        message.send(fail_silently=False)
    except Exception as error:
        failure = (
            error
            if isinstance(error, EmailDeliveryError)
            else EmailDeliveryError("provider_error", type(error).__name__)
        )
        if entry.status == EmailLog.Status.QUEUED:  # failed before reaching a provider
            entry.status = EmailLog.Status.FAILED
            entry.error_code = failure.code
            entry.error_message = failure.provider_message[:500]
            entry.save()
            announce(entry)
            logger.warning("[EmailService] Email failed kind=%s error=%s", entry.kind, failure.code)
            record(
                None,
                Action.EMAIL_FAILED,
                target=entry.recipient,
                kind=entry.kind,
                error_code=failure.code,
            )
        return Delivery(sent=False, error=failure)
    if entry.status == EmailLog.Status.QUEUED:  # a plain Django backend was configured
        entry.status = EmailLog.Status.SENT
        entry.attempts = max(entry.attempts, 1)
        entry.sent_at = entry.sent_at or timezone.now()
        entry.save()
        announce(entry)
    return Delivery(sent=True, message_id=entry.provider_message_id)


def _skip_suppressed(entry: EmailLog) -> Delivery:
    queue.skip_suppressed(entry)
    return Delivery(
        sent=False,
        error=EmailDeliveryError("suppressed", "The address is on the suppression list."),
    )


def log_entry_for(message: EmailMessage) -> EmailLog:
    """Create the queued delivery-log entry of a rendered message."""
    return EmailLog.objects.create(
        kind=getattr(message, "hygate_kind", EmailLog.Kind.NOTICE),
        recipient=", ".join(message.recipients())[:320],
        subject=message.subject[:255],
        reference=getattr(message, "hygate_reference", ""),
    )


def enqueue(messages: list[EmailMessage], request: HttpRequest | None = None) -> list[EmailLog]:
    """Put rendered messages in the queue and have them sent: the one way into the queue.

    Their outcome reaches the owner of each message's reference through
    emailing.signals.delivery_outcome once a run has sent them (or given up).
    """
    entries = queue.queue(messages)
    queue.dispatch({entry.batch_key for entry in entries}, request)
    return entries


def send_message(name: str, to: str, context: dict[str, Any], reference: str = "") -> Delivery:
    """Render, log and deliver the message `name`; never raise for a delivery failure."""
    message = render_message(name, to, context, reference)
    if queue.uses_worker() and message.hygate_kind in QUEUED_KINDS:
        if Suppression.is_suppressed(to):
            return deliver(log_entry_for(message), message)
        enqueue([message])
        return Delivery(sent=True, queued=True)
    return deliver(log_entry_for(message), message)
