"""System checks for the accounts app: staff must be held to an authenticator app."""

from django.conf import settings
from django.core.checks import Warning, register


@register("hygate", deploy=True)
def check_staff_require_totp(app_configs, **kwargs) -> list[Warning]:
    """Warn when a deployment lets staff sign in without an authenticator app."""
    if settings.HYGATE_STAFF_REQUIRE_TOTP:
        return []
    return [
        Warning(
            "HYGATE_STAFF_REQUIRE_TOTP is off: staff accounts, which can change every other "
            "account, may sign in with a password alone (or only an e-mailed code).",
            hint="Set HYGATE_STAFF_REQUIRE_TOTP=true (the production default).",
            id="hygate.W005",
        )
    ]
