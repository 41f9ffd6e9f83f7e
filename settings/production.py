"""Production: secrets from the environment, HTTPS everywhere, hashed static files."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    AUTH_PASSWORD_VALIDATORS,
    BREACHED_PASSWORD_VALIDATOR,
    HYGATE_ENCRYPTION_KEY,
    MIDDLEWARE,
    SECRET_KEY,
    env,
    pwned_passwords_switch,
)

if not SECRET_KEY:
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable for production.")
# Refuse to start without keys for the secrets stored in the database; that they are
# valid Fernet keys is the system check hygate.E002 (emailing/checks.py).
if not HYGATE_ENCRYPTION_KEY:
    raise ImproperlyConfigured(
        "HYGATE_ENCRYPTION_KEY is not set: production needs it. Generate one with: python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    )

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto and X-Forwarded-For.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HYGATE_TRUSTED_PROXIES = env.int("HYGATE_TRUSTED_PROXIES", default=1)
HYGATE_STAFF_REQUIRE_TOTP = env.bool("HYGATE_STAFF_REQUIRE_TOTP", default=True)
# New passwords are checked against Pwned Passwords unless the operator turns it off
# (check --deploy then warns, hygate.W007).
HYGATE_PWNED_PASSWORDS = pwned_passwords_switch(default="on")
AUTH_PASSWORD_VALIDATORS = [v for v in AUTH_PASSWORD_VALIDATORS if v != BREACHED_PASSWORD_VALIDATOR]
if HYGATE_PWNED_PASSWORDS == "on":
    AUTH_PASSWORD_VALIDATORS.append(BREACHED_PASSWORD_VALIDATOR)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# A load balancer probes the process itself over plain HTTP: a redirect would read as down.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# WhiteNoise serves the hashed, compressed static files straight after the middleware
# that sets the security headers, so static files get them too.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
