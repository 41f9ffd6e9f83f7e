"""System checks for the e-mail configuration."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from core.crypto import parse_keys
from emailing.errors import SHARED_SENDER_ADVICE


@register("hygate")
def check_encryption_keys(app_configs, **kwargs) -> list[Error]:
    """Every HYGATE_ENCRYPTION_KEY must be a Fernet key, or no saved secret can be read."""
    try:
        parse_keys(settings.HYGATE_ENCRYPTION_KEY)
    except ImproperlyConfigured as error:
        return [Error(str(error), id="hygate.E002")]
    return []


@register("hygate")
def check_from_address(app_configs, **kwargs) -> list[Warning]:
    """Warn when mail would go out from Resend's shared testing address."""
    if settings.RESEND_FROM_EMAIL or (
        settings.EMAIL_PROVIDER == "smtp" and settings.SMTP_FROM_EMAIL
    ):
        return []  # SMTP with a sender of its own never uses the shared one
    return [
        Warning(
            f"RESEND_FROM_EMAIL is not set: mail is sent from {settings.DEFAULT_FROM_EMAIL}.",
            hint=f"{SHARED_SENDER_ADVICE} Then set RESEND_FROM_EMAIL to that address.",
            id="hygate.W001",
        )
    ]


@register("hygate", deploy=True)
def check_provider_for_production(app_configs, **kwargs) -> list[Warning]:
    """Warn when a deployment would print its mail, codes and links included, to its output."""
    if settings.EMAIL_PROVIDER not in ("console", "locmem"):
        return []
    return [
        Warning(
            f"EMAIL_PROVIDER is {settings.EMAIL_PROVIDER}: unless a provider is saved on "
            "Settings -> Email, every e-mail (verification codes and reset links included) "
            "is printed to the process output instead of being delivered.",
            hint="Set RESEND_API_KEY (or EMAIL_PROVIDER=smtp and SMTP_*) in production.",
            id="hygate.W002",
        )
    ]
