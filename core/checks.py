"""System checks for what core provides: the rate-limit rules and the cache they count in."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from core.ratelimit import parse_rules


@register("hygate")
def check_rate_limit_rules(app_configs, **kwargs) -> list[Error]:
    """Every rule must parse, so a typo cannot silently turn a limit off."""
    errors = []
    for action, spec in settings.HYGATE_RATE_LIMIT_RULES.items():
        try:
            parse_rules(spec)
        except ValueError:
            errors.append(
                Error(
                    f"HYGATE_RATE_LIMIT_RULES[{action!r}] = {spec!r} is not a list of "
                    "'amount/period/ip|key' rules.",
                    id="hygate.E001",
                )
            )
    return errors


@register("hygate", deploy=True)
def check_rate_limits_on(app_configs, **kwargs) -> list[Warning]:
    """Warn when a deployment runs with rate limits off."""
    if settings.HYGATE_RATE_LIMITS == "on":
        return []
    return [
        Warning(
            "HYGATE_RATE_LIMITS is off: sign-in, sign-up, codes and password resets can be "
            "tried without limit.",
            hint="Turn it off only for load tests and benchmarks; set HYGATE_RATE_LIMITS=on.",
            id="hygate.W003",
        )
    ]


# Caches that do not give every process of a deployment the same counters:
#  - LocMemCache lives in each process: with N workers each allows the full limit, so
#    together they let through N times it;
#  - DummyCache keeps nothing, so no limit ever applies;
#  - FileBasedCache is shared only by the processes of one machine, and its incr() is a
#    read-then-write without a lock, so concurrent workers lose counts.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


@register("hygate", deploy=True)
def check_rate_limit_cache_is_shared(app_configs, **kwargs) -> list[Warning]:
    """Warn when rate limits count in a cache that each process keeps for itself."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.HYGATE_RATE_LIMITS != "on" or backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            f"Rate limits count in {backend.rsplit('.', 1)[-1]}, which the processes serving "
            "Hygate do not share: with several workers each allows the whole limit, so "
            "together they let through several times it.",
            hint="Set CACHE_URL to Redis (redis://host:6379/0) or Memcached.",
            id="hygate.W004",
        )
    ]
