"""System checks for what core provides: the rate-limit rules."""

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
