"""Rate limits for the account flows: per-action rules such as "20/m/ip,5/5m/key".

A rule allows `amount` requests per period, counted per client IP (`ip`: an IPv6 client by
its /64, see `rate_limit_ip_key`) or per a key the
flow knows, such as the e-mail address typed (`key`). Counters live in the cache (use
Redis, CACHE_URL, when several processes serve Hygate); keys are hashed before they are
stored. HYGATE_RATE_LIMITS=off turns every limit off.
"""

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.addresses import email_key
from core.signals import rate_limited

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rule:
    amount: int
    seconds: int
    per: str  # "ip" or "key"


def parse_rules(spec: str) -> list[Rule]:
    """Parse "20/m/ip,5/5m/key" into rules; raise ValueError on anything else."""
    rules = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        amount, period, per = part.split("/")
        multiple, unit = (period[:-1] or "1"), period[-1]
        if per not in ("ip", "key") or unit not in PERIODS:
            raise ValueError(f"bad rate limit rule {part!r}")
        rules.append(Rule(int(amount), int(multiple) * PERIODS[unit], per))
    return rules


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies."""
    proxies = settings.HYGATE_TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def rate_limit_ip_key(request: HttpRequest) -> str:
    """The client as IP rules count it: an IPv6 client by its /64, IPv4 by its address."""
    text = client_ip(request).strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:  # a forged or malformed X-Forwarded-For: counted as typed
        return text
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:  # ::ffff:a.b.c.d is that IPv4 client
        return str(address.ipv4_mapped)
    # One host is handed a whole /64 and may use any address of it: counting each address
    # would give it 2^64 budgets. The network is built from the integer so a zone id drops.
    return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))


def _counters(request: HttpRequest, action: str, key: str | None) -> list[tuple[Rule, str, float]]:
    now = time.time()
    counters = []
    for rule in parse_rules(settings.HYGATE_RATE_LIMIT_RULES.get(action, "")):
        if rule.per == "key" and not key:
            continue
        # Every spelling of an address is one counter (core.addresses); an IPv6 client, its /64.
        subject = rate_limit_ip_key(request) if rule.per == "ip" else email_key(key)
        digest = hashlib.sha256(f"{action}:{rule.per}:{subject}".encode()).hexdigest()[:32]
        window = int(now // rule.seconds)
        reset_at = (window + 1) * rule.seconds
        counters.append((rule, f"hygate:rl:{action}:{rule.seconds}:{window}:{digest}", reset_at))
    return counters


def consume(request: HttpRequest, action: str, key: str | None = None, amount: int = 1) -> int:
    """Count `amount` requests; return 0 if allowed, else the seconds until they would be."""
    if settings.HYGATE_RATE_LIMITS == "off":
        return 0
    wait, refusing = 0.0, ""
    for rule, cache_key, reset_at in _counters(request, action, key):
        cache.add(cache_key, 0, timeout=rule.seconds + 1)
        try:
            count = cache.incr(cache_key, amount)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, amount, timeout=rule.seconds + 1)
            count = amount
        if count > rule.amount and reset_at - time.time() > wait:
            wait, refusing = reset_at - time.time(), cache_key
    if wait <= 0:
        return 0
    rate_limited.send(
        sender=consume, request=request, action=action, wait=math.ceil(wait), counter=refusing
    )
    return math.ceil(wait)


def release(request: HttpRequest, action: str, key: str | None = None, amount: int = 1) -> None:
    """Give back requests that consume() counted (a sign-in that turned out right)."""
    if settings.HYGATE_RATE_LIMITS == "off":
        return
    for _rule, cache_key, _reset_at in _counters(request, action, key):
        try:
            left = cache.decr(cache_key, amount)
            if left < 0:
                cache.incr(cache_key, -left)
        except ValueError:  # the window ended meanwhile
            pass


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 page: when to try again, in words and in the Retry-After header."""
    when = (
        f"{math.ceil(retry_after / 60)} minutes"
        if retry_after >= 120
        else f"{retry_after} second{'s' if retry_after != 1 else ''}"
    )
    response = render(request, "errors/429.html", {"when": when}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(action: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Limit a view's requests by client IP under the rules of `action`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                wait = consume(request, action)
                if wait:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
