"""People who sign in, their one-time codes and their sessions."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from core import useragent
from core.addresses import CanonicalEmailField, canonical_email, email_key


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Return the canonical form of the address; raise ValidationError if it has none."""
        return canonical_email(email or "")

    def get_by_natural_key(self, username: str | None) -> "User":
        """Find a user by the canonical form of the address, as the sign-in form does."""
        return self.get(email=email_key(username or ""))

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("Users must have an e-mail address.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        """Create an ordinary user whose address is not verified yet."""
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        """Create a superuser; an operator's own address counts as verified."""
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_verified_at", timezone.now())
        if extra["is_staff"] is not True or extra["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account; the e-mail address is the login."""

    # Stored in its canonical form (core.addresses), so the plain unique index is the
    # one that matters: one mailbox, one account, whatever the spelling typed.
    email = CanonicalEmailField("e-mail address", max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    email_verified_at = models.DateTimeField("e-mail verified at", null=True, blank=True)
    email_changed_at = models.DateTimeField(
        "e-mail changed at",
        null=True,
        blank=True,
        help_text="When the user last moved the account to a new address themselves; the old "
        "address's undo link lives 7 days, and until then the address cannot move again.",
    )
    is_staff = models.BooleanField(
        "staff status", default=False, help_text="Can sign in to the admin and settings pages."
    )
    is_active = models.BooleanField("active", default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    two_factor_reset_at = models.DateTimeField(
        "two-factor reset at",
        null=True,
        blank=True,
        help_text="Set when staff reset two-factor; setting up an app again then needs an "
        "e-mailed code. Cleared once an app is set up.",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        # The help desk's own actions, so that it needs no "change user" (which edits accounts).
        permissions = [
            ("reset_two_factor", "Can reset a user's two-factor sign-in"),
            ("end_sessions", "Can end all of a user's sessions"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def greeting_name(self) -> str:
        """The name to greet the user by in mail: none until the address is proven theirs.

        Anyone may sign up with someone else's address and type a "name" that is a lure;
        it must never reach that address's inbox in a genuine mail from this site.
        """
        return self.name if self.is_verified else ""

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email


class EmailCode(models.Model):
    """A 6-digit code e-mailed to a user, kept only as a keyed hash.

    One live code per user and purpose: issuing a new one replaces the old.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email", "e-mail verification"
        SIGN_IN = "sign_in", "two-factor sign-in"
        CHANGE_EMAIL = "change_email", "e-mail address change"
        REENROL = "reenrol", "authenticator set-up after a reset"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"], name="accounts_one_code_per_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} code for {self.user}"


class CodeBudget(models.Model):
    """What one account may still do with e-mailed codes of one purpose, kept in the database.

    Every session and every address shares it, so opening more sessions buys nothing: a
    cooldown between codes, a quota of codes an hour, and a budget of wrong codes an hour
    that locks the step for an hour when spent. A new code resets none of it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="code_budgets")
    purpose = models.CharField(max_length=20, choices=EmailCode.Purpose.choices)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveIntegerField(default=0)
    sends_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    failures_since = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"], name="accounts_one_budget_per_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} budget of {self.user}"


class UserSession(models.Model):
    """A signed-in session, so its owner can see it and end it from the security page.

    Found by the SHA-256 of the session key; the key itself is kept only encrypted
    (core.crypto), because ending a session means deleting it from the session store.
    """

    ENCRYPTED_FIELDS = ("session_key",)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    session_key = models.TextField(help_text="Encrypted.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"session of {self.user} since {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def browser(self) -> str:
        return useragent.describe(self.user_agent)
