"""The test suite: deterministic keys, locmem mail, any DATABASE_URL (SQLite by default)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = "test-secret-key-for-hygate-test-suite-only-0123456789abcdefghij"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HYGATE_SITE_URL = "https://id.example.test"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Real Argon2, at test-suite cost; tests/accounts/test_passwords.py checks the real parameters.
PASSWORD_HASHERS = [
    "tests.hashers.QuickArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
