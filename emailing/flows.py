"""What Settings -> Email does: read the configuration in force, test a configuration, save one."""

import time
from dataclasses import dataclass, replace
from email.utils import parseaddr

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from audit.events import Action, record
from core.crypto import SecretUnreadable
from emailing import config
from emailing.backends.configured import backend_for
from emailing.backends.resend import list_domains
from emailing.errors import EmailDeliveryError
from emailing.messages import deliver, log_entry_for, render_message
from emailing.models import EmailLog, EmailSettings, Provider, Suppression


@dataclass(frozen=True)
class DomainCheck:
    """Whether Resend has verified the from-address's domain."""

    domain: str
    status: str  # verified, pending, not_found, needs_full_access, unavailable
    detail: str = ""

    @property
    def verified(self) -> bool:
        return self.status == "verified"


@dataclass(frozen=True)
class ConnectionTest:
    """The outcome of Test Connection."""

    sent: bool
    recipient: str
    elapsed_ms: int
    message_id: str = ""
    error: EmailDeliveryError | None = None
    domain: DomainCheck | None = None


def current_config() -> tuple[config.ProviderConfig, str]:
    """Return the configuration in force and, if a saved secret is unreadable, why."""
    try:
        return config.effective(), ""
    except SecretUnreadable as error:
        saved = EmailSettings.load()
        fallback = replace(
            config.from_environment(),
            provider=saved.provider,
            from_email=saved.from_email,
            source="saved",
            resend_api_key="",
            resend_api_url=saved.resend_api_url or config.DEFAULT_RESEND_API_URL,
            smtp_host=saved.smtp_host,
            smtp_port=saved.smtp_port,
            smtp_username=saved.smtp_username,
            smtp_password="",
            smtp_security=saved.smtp_security,
        )
        return fallback, error.message


def check_domain(cfg: config.ProviderConfig) -> DomainCheck | None:
    """Ask Resend whether the from-address's domain is verified (needs a full-access key)."""
    if cfg.provider != Provider.RESEND or not cfg.resend_api_key:
        return None
    domain = parseaddr(cfg.from_email)[1].rpartition("@")[2].lower()
    if domain == "resend.dev":
        return DomainCheck(domain, "shared", "Resend's shared testing sender.")
    try:
        domains = list_domains(cfg.resend_api_key, cfg.resend_api_url)
    except EmailDeliveryError as error:
        if error.code == "restricted_api_key":
            return DomainCheck(
                domain,
                "needs_full_access",
                "This key may only send e-mail; checking domains needs a full-access key.",
            )
        return DomainCheck(domain, "unavailable", f"{error.code}: {error.provider_message}")
    for entry in domains:
        if str(entry.get("name", "")).lower() == domain:
            status = str(entry.get("status", ""))
            return DomainCheck(domain, "verified" if status == "verified" else status or "pending")
    return DomainCheck(domain, "not_found", "Add it at resend.com/domains.")


def test_connection(
    cfg: config.ProviderConfig, recipient: str, admin: AbstractBaseUser
) -> ConnectionTest:
    """Send a real test message with an unsaved configuration and time it."""
    message = render_message("test_message", recipient, {"admin": admin, "provider": cfg.provider})
    message.from_email = cfg.from_email
    started = time.monotonic()
    # One attempt: the admin wants to know what is wrong now, not after backoff.
    connection = backend_for(cfg, max_attempts=1)
    delivery = deliver(log_entry_for(message), message, connection=connection)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    return ConnectionTest(
        sent=delivery.sent,
        recipient=recipient,
        elapsed_ms=elapsed_ms,
        message_id=delivery.message_id,
        error=delivery.error,
        domain=check_domain(cfg),
    )


SETTING_LABELS = {
    "provider": "provider",
    "from_email": "from address",
    "resend_api_key": "Resend API key",
    "resend_api_url": "Resend API URL",
    "smtp_host": "SMTP host",
    "smtp_port": "SMTP port",
    "smtp_username": "SMTP username",
    "smtp_password": "SMTP password",
    "smtp_security": "SMTP security",
}


@transaction.atomic
def save_settings(cfg: config.ProviderConfig, admin: AbstractBaseUser) -> list[str]:
    """Store the configuration (secrets encrypted) and return the names of what changed."""
    _, created = EmailSettings.objects.get_or_create(
        pk=1, defaults={"provider": cfg.provider, "from_email": cfg.from_email}
    )
    saved = EmailSettings.objects.select_for_update().get(pk=1)
    try:
        before = None if created else config.from_saved(saved)
    except SecretUnreadable:
        before = None
    smtp = cfg.provider == Provider.SMTP
    saved.provider = cfg.provider
    saved.from_email = cfg.from_email
    saved.set_resend_api_key("" if smtp else cfg.resend_api_key)
    saved.resend_api_url = "" if smtp else config.normalise_api_url(cfg.resend_api_url)
    saved.smtp_host = cfg.smtp_host if smtp else ""
    saved.smtp_port = cfg.smtp_port if smtp else None
    saved.smtp_username = cfg.smtp_username if smtp else ""
    saved.set_smtp_password(cfg.smtp_password if smtp else "")
    saved.smtp_security = cfg.smtp_security if smtp else ""
    saved.updated_at = timezone.now()
    saved.updated_by = admin
    saved.version += 1
    saved.save()

    after = config.from_saved(saved)
    relevant = [
        name
        for name in SETTING_LABELS
        if not name.startswith(("smtp_", "resend_")) or name.startswith(f"{cfg.provider}_")
    ]
    changed = [
        SETTING_LABELS[name]
        for name in relevant
        if (
            getattr(after, name)
            if before is None
            else getattr(before, name) != getattr(after, name)
        )
    ]
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=[saved],
        action_flag=CHANGE,
        change_message=f"Changed {', '.join(changed)}." if changed else "Saved without changes.",
        single_object=True,
    )
    # Which settings changed, never their values: keys and passwords must not reach the log.
    record(None, Action.SETTINGS_CHANGED, actor=admin, target="email", fields=changed)
    return changed


@transaction.atomic
def save_webhook_secret(secret: str, admin: AbstractBaseUser) -> None:
    """Store the webhook signing secret, encrypted (the settings must be saved already)."""
    saved = EmailSettings.objects.select_for_update().get(pk=1)
    saved.set_webhook_secret(secret)
    saved.updated_at = timezone.now()
    saved.updated_by = admin
    saved.version += 1
    saved.save()
    record(
        None,
        Action.SETTINGS_CHANGED,
        actor=admin,
        target="email",
        fields=["webhook signing secret"],
    )


@transaction.atomic
def use_environment(admin: AbstractBaseUser) -> bool:
    """Delete the saved settings so the environment's are in force again; say if any were."""
    saved = EmailSettings.objects.select_for_update().filter(pk=1).first()
    if saved is None:
        return False
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=[saved],
        action_flag=DELETION,
        change_message="Removed the saved e-mail settings; the environment's are in force.",
        single_object=True,
    )
    saved.delete()
    record(
        None,
        Action.SETTINGS_CHANGED,
        actor=admin,
        target="email",
        fields=["saved settings removed (environment in force)"],
    )
    return True


def lift_suppression(suppression: Suppression, admin: AbstractBaseUser) -> None:
    """Let mail reach a suppressed address again, and record who lifted it."""
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=[suppression],
        action_flag=CHANGE,
        change_message=f"Lifted the suppression of {suppression.address}.",
        single_object=True,
    )
    suppression.delete()
    record(
        None,
        Action.SETTINGS_CHANGED,
        actor=admin,
        target=suppression.address,
        fields=["suppression lifted"],
        reason=suppression.reason,
    )


def failover_count(since=None) -> int:
    """Count the mails the secondary provider took over (since a time, or ever)."""
    entries = EmailLog.objects.filter(failed_over=True)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    return entries.count()
