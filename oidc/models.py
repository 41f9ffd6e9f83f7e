"""What Hygate keeps as an OpenID Connect provider beyond django-oauth-toolkit's own tables.

The applications, grants and tokens are DOT's (oauth2_provider.Application and friends);
these models hold what DOT has no place for: each user's stable subject identifier, the
consent given per app and scope set, how the user signed in (amr, auth_time) for the tokens
of one authorization, and the ID-token signing keys.
"""

import secrets

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings


def new_subject() -> str:
    return secrets.token_urlsafe(24)


class Subject(models.Model):
    """The `sub` claim of a user: random, stable, and never the e-mail address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_subject"
    )
    value = models.CharField(max_length=64, unique=True, default=new_subject)

    def __str__(self) -> str:
        return self.value


class Consent(models.Model):
    """A user's yes to an app for a set of scopes; asked again only for scopes not yet granted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_consents"
    )
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    scope = models.TextField(help_text="The granted scopes, space-separated and sorted.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "application"], name="oidc_consent_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.application} ({self.scope})"

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())


class Authentication(models.Model):
    """How the user signed in when an app was given a code: kept for that code's tokens.

    Linked to the grant while the code waits, then to the refresh-token family the code
    exchange started, so a refreshed ID token and userinfo tell the same `amr`/`auth_time`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The code's row is deleted when it is exchanged (the exchange unlinks it first) or when it
    # expires unused: no constraint and no cascade, so that the delete is one query. Grant ids
    # are never reused (AUTOINCREMENT on SQLite, an identity on PostgreSQL).
    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="hygate_authentication",
    )
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    amr = models.JSONField(default=list)
    auth_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.user} via {self.application}: {' '.join(self.amr)}"


class SigningKey(models.Model):
    """An RSA key that signs ID tokens; the newest signs, a retired one stays in the JWKS a day."""

    ENCRYPTED_FIELDS = ("private_key",)  # re-encrypted by manage.py rotate_encryption_key

    private_key = models.TextField(help_text="The PEM, encrypted (core.crypto).")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"signing key {self.pk} of {self.created_at:%Y-%m-%d}"
