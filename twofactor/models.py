"""Second factors (authenticator apps, recovery codes) and the site's two-factor policy.

The tables keep the names they had when these models lived in `accounts`
(migrations accounts/0010 and twofactor/0001 move them in Django's state only).
"""

from django.db import models
from django.utils import timezone

from accounts.models import User
from core import crypto, useragent


class Authenticator(models.Model):
    """A user's authenticator app (TOTP); it counts only once one of its codes was confirmed.

    The shared secret is stored encrypted with core.crypto; `last_used_step` is the
    newest accepted time step, so no step is ever accepted twice.
    """

    # Fields holding core.crypto tokens, re-encrypted by `rotate_encryption_key`.
    ENCRYPTED_FIELDS = ("secret",)

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="authenticator")
    secret = models.TextField(help_text="Encrypted.")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    disown_token_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text='SHA-256 of the "this was not me" link in the notice of its set-up.',
    )

    class Meta:
        db_table = "accounts_authenticator"  # the table of its days in accounts

    def __str__(self) -> str:
        state = "active" if self.confirmed_at else "not confirmed"
        return f"authenticator app of {self.user} ({state})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def get_secret(self) -> str:
        """Return the base32 secret the app was given."""
        return crypto.decrypt(self.secret)

    def set_secret(self, value: str) -> None:
        self.secret = crypto.encrypt(value)


class RecoveryCode(models.Model):
    """One single-use recovery code, kept only as a salted slow hash."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_recoverycode"

    def __str__(self) -> str:
        return f"recovery code of {self.user} ({'used' if self.used_at else 'unused'})"


class SecurityPolicy(models.Model):
    """The site's two-factor policy, saved on Settings -> Security; a single row (pk=1)."""

    class TwoFactor(models.TextChoices):
        OFF = "off", "Off"
        EMAIL = "email", "E-mailed code"
        TOTP = "totp", "Authenticator app"
        EITHER = "either", "Either"

    two_factor_policy = models.CharField(
        "two-factor policy", max_length=10, choices=TwoFactor.choices, default=TwoFactor.OFF
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "accounts_securitypolicy"
        verbose_name = "security policy"
        verbose_name_plural = "security policy"

    def __str__(self) -> str:
        return f"two-factor: {self.get_two_factor_policy_display()}"

    @classmethod
    def load(cls) -> "SecurityPolicy":
        """Return the saved policy, or the default (off, unsaved) when none was saved."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class TrustedBrowser(models.Model):
    """A browser trusted at a second step to skip it for 30 days (twofactor.trust).

    The browser holds a random token in a signed cookie; only its SHA-256 is kept here.
    `password_hash` (the SHA-256 of the session hash the password gave then) ends the trust
    with any new password, wherever it was set; `method` is the step it was trusted with.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trusted_browsers")
    token_hash = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"trusted browser of {self.user} until {self.expires_at:%Y-%m-%d}"

    @property
    def browser(self) -> str:
        """The browser in words (core.useragent), never the raw header."""
        return useragent.describe(self.user_agent)


class Passkey(models.Model):
    """A WebAuthn credential (a passkey) that signs its user in on its own.

    Only the public key is kept. `sign_count` is the authenticator's counter at its last
    use: a later use that does not raise it (when it counts at all) means a copy of the key
    exists, and is refused (twofactor.passkeys).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=60)
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField(help_text="COSE public key.")
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True, default="")
    backup_eligible = models.BooleanField(default=False)
    backed_up = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    disown_token_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text='SHA-256 of the "this was not me" link in the notice of its addition.',
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"passkey {self.name!r} of {self.user}"


class SpentPasskeyChallenge(models.Model):
    """A passkey challenge already taken out of a session to check an answer.

    The session keeps a challenge until it is used, but two requests of one session read
    it at the same moment; this row, unique per challenge, lets only the first of them use
    it (twofactor.passkeys). Rows go once the challenge would have expired anyway.
    """

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the challenge.")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"spent passkey challenge until {self.expires_at:%Y-%m-%d %H:%M}"
