"""Audit events for signals other apps send."""

import hashlib

from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest

from audit.events import Action, record
from core.ratelimit import client_ip
from core.signals import rate_limited

# A refused request costs its sender nothing, so a row for each would let one client fill
# the database and bury the log: per client and rule, the first refusals of a window are
# recorded, then one more that says the rest of that window goes unrecorded.
REFUSALS_RECORDED_PER_WINDOW = 20


def _refusals_so_far(request: HttpRequest, action: str, wait: int) -> int:
    """Count this refusal of the client under the rule; the count lasts until it may retry."""
    subject = hashlib.sha256(f"{action}:{client_ip(request)}".encode()).hexdigest()[:32]
    key = f"hygate:audit:refused:{action}:{subject}"
    try:
        cache.add(key, 0, timeout=max(wait, 1))
        return cache.incr(key)
    except Exception:  # no count (cache down, or the key just expired): record it
        return 1


@receiver(rate_limited)
def record_rate_limit(sender: object, request: HttpRequest, action: str, wait: int, **_) -> None:
    """Record a request a rate limit stopped, with the rule's name (never the key counted)."""
    refused = _refusals_so_far(request, action, wait)
    if refused <= REFUSALS_RECORDED_PER_WINDOW:
        record(request, Action.RATE_LIMITED, rule=action, retry_after=wait)
    elif refused == REFUSALS_RECORDED_PER_WINDOW + 1:
        record(
            request,
            Action.RATE_LIMITED,
            rule=action,
            retry_after=wait,
            later_refusals_unrecorded=True,
        )
