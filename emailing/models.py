"""Saved provider settings (Settings -> Email) and the delivery log."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core import crypto
from core.addresses import email_key


class Provider(models.TextChoices):
    RESEND = "resend", "Resend (HTTP API)"
    SMTP = "smtp", "SMTP"
    CONSOLE = "console", "Console (development)"
    LOCMEM = "locmem", "Memory (test suite)"


class SMTPSecurity(models.TextChoices):
    SSL = "ssl", "SSL/TLS from the start (port 465)"
    STARTTLS = "starttls", "STARTTLS (port 587)"
    NONE = "none", "None (local relays only)"


class EmailSettings(models.Model):
    """The provider an admin saved on Settings -> Email; it wins over the environment.

    A single row (pk=1). Secrets are stored encrypted; `version` grows on every save, and
    every process compares it to the version of the settings it has cached.
    """

    # Fields holding core.crypto tokens, re-encrypted by `rotate_encryption_key`.
    ENCRYPTED_FIELDS = ("resend_api_key", "smtp_password", "webhook_secret")

    provider = models.CharField(max_length=10, choices=Provider.choices[:2])
    from_email = models.CharField("from address", max_length=320)
    resend_api_key = models.TextField(blank=True, help_text="Encrypted.")
    resend_api_url = models.CharField(
        "Resend API URL",
        max_length=255,
        blank=True,
        help_text="The API the saved key was saved for; it is sent nowhere else.",
    )
    smtp_host = models.CharField("SMTP host", max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField("SMTP port", null=True, blank=True)
    smtp_username = models.CharField("SMTP username", max_length=255, blank=True)
    smtp_password = models.TextField("SMTP password", blank=True, help_text="Encrypted.")
    smtp_security = models.CharField(
        "SMTP security", max_length=10, choices=SMTPSecurity.choices, blank=True
    )
    webhook_secret = models.TextField(
        "Resend webhook signing secret", blank=True, help_text="Encrypted."
    )
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "e-mail settings"
        verbose_name_plural = "e-mail settings"

    def __str__(self) -> str:
        return f"{self.get_provider_display()} from {self.from_email}"

    @classmethod
    def load(cls) -> "EmailSettings | None":
        """Return the saved settings, or None when an admin never saved any."""
        return cls.objects.filter(pk=1).first()

    def get_resend_api_key(self) -> str:
        return crypto.decrypt(self.resend_api_key)

    def set_resend_api_key(self, value: str) -> None:
        self.resend_api_key = crypto.encrypt(value)

    def get_smtp_password(self) -> str:
        return crypto.decrypt(self.smtp_password)

    def set_smtp_password(self, value: str) -> None:
        self.smtp_password = crypto.encrypt(value)

    def get_webhook_secret(self) -> str:
        return crypto.decrypt(self.webhook_secret)

    def set_webhook_secret(self, value: str) -> None:
        self.webhook_secret = crypto.encrypt(value)


def _new_idempotency_key() -> str:
    return f"hygate-{uuid.uuid4()}"


class EmailLog(models.Model):
    """One message Hygate tried to deliver: who, what kind, and what became of it.

    No bodies, codes or links are kept here, except in `payload` while a queued mail waits
    for a worker: encrypted, and cleared once the mail is sent or has finally failed.
    """

    # A queued mail's payload is re-encrypted by `rotate_encryption_key` too.
    ENCRYPTED_FIELDS = ("payload",)

    class Kind(models.TextChoices):
        VERIFICATION = "verification", "verification code"
        TWO_FACTOR = "two_factor", "two-factor code"
        PASSWORD_RESET = "password_reset", "password reset"
        INVITATION = "invitation", "invitation"
        TEST = "test", "test message"
        NOTICE = "notice", "notice"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    class Event(models.TextChoices):
        """What the provider's webhooks said became of a sent mail."""

        DELIVERED = "delivered", "delivered"
        DELAYED = "delivery_delayed", "delivery delayed"
        BOUNCED = "bounced", "bounced"
        COMPLAINED = "complained", "complained"
        FAILED = "failed", "failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.CharField(max_length=320)
    subject = models.CharField(max_length=255)
    provider = models.CharField(max_length=10, choices=Provider.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(
        max_length=500, blank=True, help_text="The provider's own words, for staff."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, default=_new_idempotency_key, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The queue: the rendered message (encrypted), when to try next, which run holds it,
    # and the batch it goes out in (its Idempotency-Key when it has more than one mail).
    payload = models.TextField(blank=True, help_text="Encrypted; cleared once done.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=40, blank=True)
    batch_key = models.CharField(max_length=64, blank=True, db_index=True)
    failed_over = models.BooleanField(
        default=False, help_text="Sent (or tried) through the secondary provider."
    )
    event = models.CharField(max_length=20, choices=Event.choices, blank=True)
    # The provider's time of the event last applied (its `created_at`): an older event
    # arriving later is not applied over it.
    event_at = models.DateTimeField(null=True, blank=True)
    # What the mail was about, as "<kind>:<id>" ("invitation:12"), for emailing.signals.
    reference = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "delivery log entry"
        verbose_name_plural = "delivery log"
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["provider_message_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}: {self.status}"

    def may_retry_later(self, error) -> bool:
        """Say whether a worker will try this queued mail again after `error`."""
        retry_for = timedelta(seconds=settings.HYGATE_EMAIL_QUEUE_RETRY_FOR)
        # A provider asking to wait past the end of the window (retry-after: 36000) gets
        # no later try: the mail and its link would wait far longer than an hour.
        next_attempt = timezone.now() + timedelta(seconds=self._retry_delay(error))
        return (
            error.retryable
            and settings.HYGATE_EMAIL_QUEUE == "database"
            and self.status == self.Status.SENDING
            and next_attempt < self.created_at + retry_for
        )

    def _retry_delay(self, error) -> float:
        """Seconds until the next try: doubled each round, at most 15 minutes, or as asked."""
        rounds = max(1, self.attempts // settings.HYGATE_EMAIL_MAX_ATTEMPTS)
        base = settings.HYGATE_EMAIL_QUEUE_RETRY_DELAY
        delay = min(base * 2 ** (rounds - 1), 15 * 60)
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay

    def defer(self, error) -> None:
        """Put a queued mail back in the queue, to be tried again after a backoff."""
        delay = self._retry_delay(error)
        self.status = self.Status.QUEUED
        self.error_code = error.code
        self.error_message = error.provider_message[:500]
        self.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        self.claimed_by = ""
        # Never the payload: `rotate_encryption_key` may have re-encrypted it since this
        # run read it, and writing the old token back would leave it to a dropped key.
        self.save(
            update_fields=[
                "status",
                "error_code",
                "error_message",
                "next_attempt_at",
                "claimed_by",
                "attempts",
                "provider",
                "failed_over",
                "updated_at",
            ]
        )


def normalise_address(address: str) -> str:
    """Return the form an address is suppressed under: its canonical form (core.addresses)."""
    return email_key(address)


class Suppression(models.Model):
    """An address the provider said must get no more mail: a hard bounce or a complaint."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "hard bounce"
        COMPLAINED = "complained", "spam complaint"

    address = models.CharField(max_length=320, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "suppressed address"
        verbose_name_plural = "suppressed addresses"

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"

    @classmethod
    def is_suppressed(cls, address: str) -> bool:
        """Say whether mail to this address is stopped."""
        return cls.objects.filter(address=normalise_address(address)).exists()
