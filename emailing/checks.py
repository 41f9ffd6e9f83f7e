"""System checks for the e-mail configuration."""

from django.conf import settings
from django.core.checks import Warning, register


@register("hygate")
def check_from_address(app_configs, **kwargs) -> list[Warning]:
    """Warn when mail would go out from Resend's shared testing address."""
    if settings.RESEND_FROM_EMAIL:
        return []
    return [
        Warning(
            f"RESEND_FROM_EMAIL is not set: mail is sent from {settings.DEFAULT_FROM_EMAIL}.",
            hint=(
                "Resend delivers mail from onboarding@resend.dev only to the address of the "
                "Resend account's owner. Set RESEND_FROM_EMAIL to an address on a domain "
                "you have verified in Resend."
            ),
            id="hygate.W001",
        )
    ]
