"""Audit events for signals other apps send."""

import hashlib

from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest

from audit.events import Action, record
from core.ratelimit import rate_limit_ip_key
from core.signals import rate_limited

# A refused request costs its sender nothing, so a row for each would let one client fill
# the database and bury the log: per limit counter (a client address, or an account a limit
# counts by, in one window), the first refusals are recorded, then one more that says the
# rest of that window goes unrecorded. Counting per counter, not per address, also bounds
# attackers who send each request from a fresh address.
REFUSALS_RECORDED_PER_WINDOW = 20


def _refusals_so_far(request: HttpRequest, action: str, wait: int, counter: str) -> int:
    """Count this refusal by the counter that refused it; the count lasts until it may retry."""
    subject = counter or f"{action}:{rate_limit_ip_key(request)}"
    key = f"hygate:audit:refused:{hashlib.sha256(subject.encode()).hexdigest()[:32]}"
    try:
        cache.add(key, 0, timeout=max(wait, 1))
        return cache.incr(key)
    except Exception:  # no count (cache down, or the key just expired): record it
        return 1


@receiver(rate_limited)
def record_rate_limit(
    sender: object, request: HttpRequest, action: str, wait: int, counter: str = "", **_
) -> None:
    """Record a request a rate limit stopped, with the rule's name (never the key counted)."""
    refused = _refusals_so_far(request, action, wait, counter)
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
