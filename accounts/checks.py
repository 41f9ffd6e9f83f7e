"""System checks for the accounts app: breached passwords."""

from django.conf import settings
from django.core.checks import Warning, register


@register("hygate", deploy=True)
def check_breached_password_check_on(app_configs, **kwargs) -> list[Warning]:
    """Warn when new passwords are not checked against Pwned Passwords."""
    if settings.HYGATE_PWNED_PASSWORDS == "on":
        return []
    return [
        Warning(
            "HYGATE_PWNED_PASSWORDS is off: new passwords are checked only against the "
            "20,000 most common ones, not against Pwned Passwords' breached passwords.",
            hint="Set HYGATE_PWNED_PASSWORDS=on (the production default); the server needs "
            "to reach https://api.pwnedpasswords.com (HYGATE_PWNED_PASSWORDS_URL).",
            id="hygate.W007",
        )
    ]
