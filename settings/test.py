"""The test suite: deterministic keys, locmem mail, any DATABASE_URL (SQLite by default)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = "test-secret-key-for-hygate-test-suite-only-0123456789abcdefghij"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
EMAIL_PROVIDER = "locmem"  # the configured backend, writing to django.core.mail.outbox
HYGATE_ENCRYPTION_KEY = ["PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8="]
HYGATE_EMAIL_RETRY_BASE_DELAY = 0.01
HYGATE_EMAIL_RETRY_MAX_DELAY = 0.05
RESEND_API_KEY = ""
RESEND_FROM_EMAIL = "Hygate <id@hygate.example>"
DEFAULT_FROM_EMAIL = SERVER_EMAIL = RESEND_FROM_EMAIL
HYGATE_SITE_URL = "https://id.example.test"
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": HYGATE_SITE_URL}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Real Argon2, at test-suite cost; tests/accounts/test_passwords.py checks the real parameters.
PASSWORD_HASHERS = [
    "tests.hashers.QuickArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Apps' client secrets only (random, 128 characters): see oidc/hashers.py.
    "oidc.hashers.ClientSecretHasher",
]
# Accounts made by the factories are new: the invitation caps have their own tests
# (tests/organisations/test_invitation_caps.py); the others invite freely.
HYGATE_INVITES_NEW_ADDRESSES_PER_INVITER_DAY = 100_000
HYGATE_INVITES_NEW_ADDRESSES_SITE_DAY = 100_000
HYGATE_INVITES_NEW_ACCOUNT_DAYS = 0
