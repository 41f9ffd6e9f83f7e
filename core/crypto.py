"""Secrets at rest: one pair of functions over MultiFernet and HYGATE_ENCRYPTION_KEY.

HYGATE_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated: the first encrypts,
all decrypt, so a new key can be put first and the old ones dropped after
`manage.py rotate_encryption_key`.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any of the configured keys."""

    message = "The stored secret cannot be decrypted: was HYGATE_ENCRYPTION_KEY changed?"

    def __str__(self) -> str:
        return self.message


def parse_keys(value: str | list[str]) -> list[Fernet]:
    """Turn HYGATE_ENCRYPTION_KEY into Fernet objects, naming the variable when it is wrong."""
    raw = value.split(",") if isinstance(value, str) else value
    keys = [key.strip() for key in raw if key.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "HYGATE_ENCRYPTION_KEY is not set. Generate one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    try:
        return [Fernet(key) for key in keys]
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "HYGATE_ENCRYPTION_KEY must be Fernet keys (url-safe base64 of 32 bytes), "
            "comma-separated."
        ) from error


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(parse_keys(list(keys)))


def _current() -> MultiFernet:
    return _fernet(tuple(settings.HYGATE_ENCRYPTION_KEY))


def encrypt(plaintext: str) -> str:
    """Encrypt a secret with the first configured key; an empty secret stays empty."""
    if not plaintext:
        return ""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a stored secret with any configured key; raise SecretUnreadable if none fits."""
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable from error


def rotate(token: str) -> str:
    """Re-encrypt a stored secret with the first configured key."""
    if not token:
        return ""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable from error
