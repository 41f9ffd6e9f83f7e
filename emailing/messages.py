"""Render one kind of e-mail from its templates and send it through Django's mail API.

Every message Hygate sends goes through `send_message()`: it renders
`templates/email/<name>.subject.txt`, `.txt` and `.html`, sends with the configured
from-address and backend, logs the outcome without the body, and tells the caller.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

logger = logging.getLogger("hygate.emailing")

# Template name -> the kind recorded in logs (and, later, the delivery log).
KINDS = {
    "verification_code": "verification",
    "account_exists": "notice",
    "password_reset": "password_reset",
}


@dataclass(frozen=True)
class Delivery:
    """What became of one message: sent, or failed with a Hygate error code."""

    sent: bool
    error_code: str = ""


def render_message(name: str, to: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """Build the message `name` for one recipient, with its plain-text and HTML parts."""
    context = {"site_url": settings.HYGATE_SITE_URL, "site_name": "Hygate", **context}
    subject = render_to_string(f"email/{name}.subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"email/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"email/{name}.html", context), "text/html")
    return message


def send_message(name: str, to: str, context: dict[str, Any]) -> Delivery:
    """Render and send the message `name`; never raise for a delivery failure."""
    kind = KINDS[name]
    message = render_message(name, to, context)
    try:
        message.send()
    except Exception as exc:
        # The exception text may quote the message or the connection: log only its type.
        logger.warning(
            "[EmailService] Email failed kind=%s error=provider_error (%s)",
            kind,
            type(exc).__name__,
        )
        return Delivery(sent=False, error_code="provider_error")
    logger.info("[EmailService] Email sent successfully kind=%s", kind)
    return Delivery(sent=True)
