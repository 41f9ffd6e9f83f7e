"""The effective e-mail configuration: saved settings win over the environment.

`effective()` is called for every send. It asks the database for the saved settings'
version (one primary-key lookup) and rebuilds the configuration only when the version
changed, so a save on Settings -> Email reaches every process on its next message.
"""

import ipaddress
import threading
from dataclasses import dataclass, field

from django.conf import settings

from emailing.models import EmailSettings, Provider, SMTPSecurity

DEFAULT_SMTP_PORTS = {SMTPSecurity.SSL: 465, SMTPSecurity.STARTTLS: 587, SMTPSecurity.NONE: 25}
DEFAULT_RESEND_API_URL = "https://api.resend.com"


@dataclass(frozen=True)
class ProviderConfig:
    """Everything a backend needs to send: provider, sender, destination and secrets."""

    provider: str
    from_email: str
    source: str = "environment"
    resend_api_key: str = field(default="", repr=False)
    resend_api_url: str = DEFAULT_RESEND_API_URL
    smtp_host: str = ""
    smtp_port: int | None = None
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_security: str = SMTPSecurity.STARTTLS

    @property
    def effective_smtp_port(self) -> int:
        return self.smtp_port or DEFAULT_SMTP_PORTS[SMTPSecurity(self.smtp_security)]


def is_loopback_host(host: str) -> bool:
    """Say whether an SMTP host is this machine (127.0.0.0/8, ::1, localhost), without DNS."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_password_in_clear(security: str, host: str, username: str, password: str) -> bool:
    """Say whether SMTP would log in without encryption to a host off this machine."""
    return (
        security == SMTPSecurity.NONE and bool(username and password) and not is_loopback_host(host)
    )


def normalise_api_url(url: str) -> str:
    """Return an API base URL without its trailing slash (`/emails` is appended to it)."""
    return url.strip().rstrip("/")


def mask_secret(secret: str) -> str:
    """Show only enough of a secret to recognise it: `re_...6789`."""
    if not secret:
        return ""
    if len(secret) < 12:
        return "(set)"
    prefix = "re_" if secret.startswith("re_") else ""
    return f"{prefix}...{secret[-4:]}"


def from_environment() -> ProviderConfig:
    """The configuration the environment variables describe."""
    provider = settings.EMAIL_PROVIDER
    from_email = settings.DEFAULT_FROM_EMAIL
    if provider == Provider.SMTP and settings.SMTP_FROM_EMAIL:
        from_email = settings.SMTP_FROM_EMAIL
    return ProviderConfig(
        provider=provider,
        from_email=from_email,
        resend_api_key=settings.RESEND_API_KEY,
        resend_api_url=normalise_api_url(settings.RESEND_API_URL),
        smtp_host=settings.SMTP_HOST,
        smtp_port=settings.SMTP_PORT,
        smtp_username=settings.SMTP_USERNAME,
        smtp_password=settings.SMTP_PASSWORD,
        smtp_security=settings.SMTP_SECURITY,
    )


def from_saved(saved: EmailSettings) -> ProviderConfig:
    """The configuration an admin saved; raises SecretUnreadable if a secret cannot be read."""
    return ProviderConfig(
        provider=saved.provider,
        from_email=saved.from_email,
        source="saved",
        resend_api_key=saved.get_resend_api_key(),
        # The key goes only where it was saved for, whatever RESEND_API_URL says today.
        resend_api_url=normalise_api_url(saved.resend_api_url or DEFAULT_RESEND_API_URL),
        smtp_host=saved.smtp_host,
        smtp_port=saved.smtp_port,
        smtp_username=saved.smtp_username,
        smtp_password=saved.get_smtp_password(),
        smtp_security=saved.smtp_security or SMTPSecurity.STARTTLS,
    )


def failover() -> ProviderConfig | None:
    """The secondary provider (SMTP) the environment names, or None (HYGATE_FAILOVER_SMTP_*)."""
    if not settings.HYGATE_FAILOVER_SMTP_HOST:
        return None
    return ProviderConfig(
        provider=Provider.SMTP,
        from_email="",
        source="failover",
        smtp_host=settings.HYGATE_FAILOVER_SMTP_HOST,
        smtp_port=settings.HYGATE_FAILOVER_SMTP_PORT,
        smtp_username=settings.HYGATE_FAILOVER_SMTP_USERNAME,
        smtp_password=settings.HYGATE_FAILOVER_SMTP_PASSWORD,
        smtp_security=settings.HYGATE_FAILOVER_SMTP_SECURITY,
    )


_lock = threading.Lock()
_cached: tuple[tuple | None, ProviderConfig] | None = None


def effective() -> ProviderConfig:
    """Return the configuration in force now, rebuilt only when the saved version moved."""
    global _cached
    # (version, updated_at) rather than the version alone: a restored backup or a rolled
    # back transaction can bring an old version number back with other contents.
    stamp = EmailSettings.objects.filter(pk=1).values_list("version", "updated_at").first()
    cached = _cached
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        saved = EmailSettings.load() if stamp is not None else None
        config = from_saved(saved) if saved is not None else from_environment()
        _cached = ((saved.version, saved.updated_at) if saved is not None else None, config)
        return config


def forget() -> None:
    """Drop this process's cached configuration (tests that change the environment)."""
    global _cached
    _cached = None
