"""One limit on calls to the mail provider, shared by every process through the cache.

Calls are counted in one-second windows in the cache (Redis in production, so every web
process and every worker counts against the same HYGATE_EMAIL_RATE). When the provider
says to slow down, through `retry-after` or `ratelimit-remaining: 0` with
`ratelimit-reset`, every process pauses until the time it named.
"""

import math
import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache

PAUSE_KEY = "hygate:email-rate:pause"
WINDOW_KEY = "hygate:email-rate:{window}"
# Never wait longer than this for one slot: the caller's own deadline decides the rest.
MAX_WAIT = 60.0


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) and number >= 0 else None


def wait_for_slot(deadline: float | None = None) -> bool:
    """Block until a call may go out; return False when `deadline` (monotonic) comes first."""
    rate = settings.HYGATE_EMAIL_RATE
    if rate <= 0:
        return True
    per_window = max(1, int(rate))
    give_up_at = time.monotonic() + MAX_WAIT if deadline is None else deadline
    while True:
        now = time.time()
        pause = _number(cache.get(PAUSE_KEY)) or 0.0
        if pause > now:
            wait = pause - now
        else:
            window = int(now)
            key = WINDOW_KEY.format(window=window)
            cache.add(key, 0, timeout=5)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=5)
                count = 1
            if count <= per_window:
                return True
            wait = window + 1 - now
        if time.monotonic() + wait > give_up_at:
            return False
        time.sleep(wait + 0.001)


def note_response(status: int, headers: Mapping[str, str]) -> None:
    """Pause every process when the provider's answer asks for it."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    pause = None
    retry_after = _number(lowered.get("retry-after"))
    if status == 429 and retry_after is not None:
        pause = retry_after
    elif lowered.get("ratelimit-remaining") == "0":
        pause = _number(lowered.get("ratelimit-reset"))
    if pause:
        until = time.time() + min(pause, MAX_WAIT)
        cache.set(PAUSE_KEY, until, timeout=math.ceil(min(pause, MAX_WAIT)) + 1)
