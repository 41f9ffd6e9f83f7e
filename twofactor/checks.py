"""System checks for two-factor sign-in: second factors for staff and members."""

from django.conf import settings
from django.core.checks import Warning, register
from django.db import DatabaseError

from twofactor.models import SecurityPolicy


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


@register("hygate", deploy=True)
def check_member_two_factor_policy(app_configs, **kwargs) -> list[Warning]:
    """Warn while the saved two-factor policy lets members sign in with a password alone."""
    # The policy is a database row: read only under --deploy, where an operator asks about
    # the deployment itself. Before `migrate` there is no table, and nothing to say yet.
    try:
        policy = SecurityPolicy.load().two_factor_policy
    except DatabaseError:
        return []
    if policy != SecurityPolicy.TwoFactor.OFF:
        return []
    return [
        Warning(
            "The two-factor policy is off: members sign in with a password alone.",
            hint="Choose 'E-mailed code', 'Authenticator app' or 'Either' on Settings -> "
            "Security (/settings/security/).",
            id="hygate.W006",
        )
    ]
