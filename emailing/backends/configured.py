"""EMAIL_BACKEND: send through whichever provider is in force right now.

Settings saved on Settings -> Email win over the environment (see emailing.config).
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from core.crypto import SecretUnreadable
from emailing import config
from emailing.backends.base import HygateEmailBackend
from emailing.backends.console import ConsoleBackend, LocmemBackend
from emailing.backends.resend import ResendBackend
from emailing.backends.smtp import SMTPBackend
from emailing.errors import EmailDeliveryError
from emailing.models import Provider


def backend_for(cfg: config.ProviderConfig, **kwargs) -> HygateEmailBackend:
    """Build the provider backend that the configuration describes."""
    if cfg.provider == Provider.RESEND:
        return ResendBackend(api_key=cfg.resend_api_key, api_url=cfg.resend_api_url, **kwargs)
    if cfg.provider == Provider.SMTP:
        return SMTPBackend(
            host=cfg.smtp_host,
            port=cfg.effective_smtp_port,
            username=cfg.smtp_username,
            password=cfg.smtp_password,
            security=cfg.smtp_security,
            **kwargs,
        )
    if cfg.provider == Provider.LOCMEM:
        return LocmemBackend(**kwargs)
    return ConsoleBackend(**kwargs)


class ConfiguredEmailBackend(BaseEmailBackend):
    """Resolve the effective provider for each batch and send through it."""

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        if not email_messages:
            return 0
        try:
            cfg = config.effective()
        except SecretUnreadable as error:
            if self.fail_silently:
                return 0
            raise EmailDeliveryError("provider_error", error.message) from None
        for message in email_messages:
            # Messages addressed from the default sender go out from the configured one.
            if not message.from_email or message.from_email == settings.DEFAULT_FROM_EMAIL:
                message.from_email = cfg.from_email
        secondary = config.failover()
        failover = (
            backend_for(secondary, fail_silently=self.fail_silently)
            if secondary is not None and cfg.provider in (Provider.RESEND, Provider.SMTP)
            else None
        )
        backend = backend_for(cfg, fail_silently=self.fail_silently, failover=failover)
        return backend.send_messages(email_messages)
