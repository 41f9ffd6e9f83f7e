"""Signals emailing sends, for the apps above it to receive (emailing imports none of them)."""

from django.dispatch import Signal

from emailing.models import EmailLog

# Sent when a delivery-log entry reaches an outcome: sent, failed for good, or an event
# from the provider's webhooks (delivered, bounced, ...). Argument: entry (the EmailLog).
# `entry.reference` ("invitation:12") names what the mail was about, for its owner to update.
delivery_outcome = Signal()


def announce(entry: EmailLog) -> None:
    """Tell the receivers what became of a mail that was about something (has a reference)."""
    if entry.reference:
        delivery_outcome.send(sender=EmailLog, entry=entry)
