"""Audit events for signals other apps send."""

from django.dispatch import receiver
from django.http import HttpRequest

from audit.events import Action, record
from core.signals import rate_limited


@receiver(rate_limited)
def record_rate_limit(sender: object, request: HttpRequest, action: str, wait: int, **_) -> None:
    """Record a request a rate limit stopped, with the rule's name (never the key counted)."""
    record(request, Action.RATE_LIMITED, rule=action, retry_after=wait)
