"""Settings shared by every environment; every value is read through one environ.Env."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# Development and tests override these; production requires them (see production.py).
SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "hygate.apps.HygateAdminConfig",  # django.contrib.admin, with Hygate's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "core",
    "audit",
    "accounts",
    "emailing",
    "twofactor",
    "organisations",
    "oauth2_provider",
    "oidc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.security.ContentSecurityPolicyMiddleware",
    # Outside CommonMiddleware, so the 400 page for an unknown host gets the header too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.events.RequestContextMiddleware",
    "core.after_response.SendAfterResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # While a session's sign-in is on its way to an app, its pages' form-action allows it.
    "oidc.middleware.AppRedirectFormActionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.sessions.SessionActivityMiddleware",
    "accounts.device.DeviceCookieMiddleware",
    "twofactor.trust.TrustCookieMiddleware",  # sets the trusted-browser cookie
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, so the 413 page gets every header; still before any view reads the body.
    "core.security.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "hygate.urls"
WSGI_APPLICATION = "hygate.wsgi.application"
ASGI_APPLICATION = "hygate.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Inputs and error lists are written in Python, to the same bytes as Django's templates
# (core/form_rendering.py): most of a sign-in page's time went to those tiny templates.
FORM_RENDERER = "core.form_rendering.FastTemplatesRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Requests served at once must wait their turn, never answer 500 ("database is locked"):
    # IMMEDIATE takes the write lock when a transaction begins (a deferred one that reads
    # first cannot upgrade to a write while another writes, and fails at once, whatever the
    # timeout); the timeout is how long a writer waits for the lock; WAL lets readers go on
    # while one writes. See README "SQLite".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that takes the connection and says nothing would otherwise hold each
    # request (and /healthz) for as long as TCP allows; `?connect_timeout=N` in the URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://hygate")}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2id first: see README "Password hashing" for the parameters and why.
PASSWORD_HASHERS = [
    "accounts.hashers.HygateArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Apps' client secrets only (random, 128 characters): see oidc/hashers.py.
    "oidc.hashers.ClientSecretHasher",
]
# No composition rules (ASVS 6.2.5: an all-digit passphrase is fine); see README "Passwords".
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.password_validation.ContextWordsValidator"},
]
# The site's name, one of the words no password may be made of.
HYGATE_SITE_NAME = env.str("HYGATE_SITE_NAME", default="Hygate")
BREACHED_PASSWORD_VALIDATOR = {"NAME": "accounts.password_validation.BreachedPasswordValidator"}


def pwned_passwords_switch(default: str) -> str:
    """Read HYGATE_PWNED_PASSWORDS ("on" or "off"), whose default each settings module picks."""
    value = env.str("HYGATE_PWNED_PASSWORDS", default=default)
    if value not in ("on", "off"):
        raise ImproperlyConfigured("HYGATE_PWNED_PASSWORDS must be 'on' or 'off'.")
    return value


# Ask Have I Been Pwned's range API whether a new password was breached (only a 5-character
# SHA-1 prefix leaves the server). On by default in production (settings/production.py);
# off here, for development and tests, which may have no internet.
HYGATE_PWNED_PASSWORDS = pwned_passwords_switch(default="off")
HYGATE_PWNED_PASSWORDS_URL = env.str(
    "HYGATE_PWNED_PASSWORDS_URL", default="https://api.pwnedpasswords.com/range/"
)
HYGATE_PWNED_PASSWORDS_TIMEOUT = env.float("HYGATE_PWNED_PASSWORDS_TIMEOUT", default=2.0)
if HYGATE_PWNED_PASSWORDS == "on":
    AUTH_PASSWORD_VALIDATORS.append(BREACHED_PASSWORD_VALIDATOR)
PASSWORD_RESET_TIMEOUT = 60 * 60

SESSION_COOKIE_HTTPONLY = True
# Idle timeout: a session unused this long ends. accounts.sessions re-saves an active
# session (at most once a minute), so the clock restarts on activity. See README "Security".
SESSION_COOKIE_AGE = env.int("HYGATE_SESSION_IDLE_TIMEOUT", default=14 * 24 * 3600)
# Absolute lifetime of a signed-in session, however active.
HYGATE_SESSION_MAX_AGE = env.int("HYGATE_SESSION_MAX_AGE", default=30 * 24 * 3600)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "hygate.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Hygate ---
HYGATE_SITE_URL = env.str("HYGATE_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
HYGATE_RATE_LIMITS = env.str("HYGATE_RATE_LIMITS", default="on")
if HYGATE_RATE_LIMITS not in ("on", "off"):
    raise ImproperlyConfigured("HYGATE_RATE_LIMITS must be 'on' or 'off'.")
# Per action: "amount/period/ip" counts by client address, ".../key" by the address typed.
HYGATE_RATE_LIMIT_RULES = {
    "login": "30/m/ip",
    "login_failed": "5/5m/key",
    # The same budget for a browser holding the account's device cookie, counted apart.
    "login_failed_device": "5/5m/key",
    "signup": "10/m/ip",
    "signup_address": "5/h/key",
    "verify": "20/m/ip",
    "verify_resend": "10/10m/ip",
    "two_factor": "30/m/ip",
    # Passkey options and answers (each makes or spends a challenge in the session).
    "passkey": "30/m/ip",
    "password_reset": "10/m/ip",
    "password_reset_address": "3/h/key",
    "reauthenticate": "5/5m/key",
    # The current password on /accounts/password/change/, as a sign-in's (per account).
    "password_change": "5/5m/key",
    # New addresses asked for per account (each sends a code or a notice).
    "email_change": "10/h/key",
    "organisation": "60/m/ip",
    "invitation_org": "50/d/key",
    # The same budget per inviter, or each new organisation would bring 50 more a day.
    "invitation_inviter": "50/d/key",
    # Bulk imports (a pasted list) count apart, one per address.
    "invitation_org_bulk": "1000/d/key",
    "invitation_inviter_bulk": "1000/d/key",
    # The OpenID Connect token and revocation endpoints, per client address.
    "oidc_token": "120/m/ip",
}
# Daily caps on invitations (organisations/flows/caps.py): every address invited counts,
# per inviter, site-wide, and lower for accounts in their first days.
HYGATE_INVITES_NEW_ADDRESSES_PER_INVITER_DAY = env.int(
    "HYGATE_INVITES_NEW_ADDRESSES_PER_INVITER_DAY", default=1000
)
HYGATE_INVITES_NEW_ADDRESSES_SITE_DAY = env.int(
    "HYGATE_INVITES_NEW_ADDRESSES_SITE_DAY", default=5000
)
HYGATE_INVITES_NEW_ACCOUNT_DAYS = env.int("HYGATE_INVITES_NEW_ACCOUNT_DAYS", default=7)
HYGATE_INVITES_NEW_ACCOUNT_PER_DAY = env.int("HYGATE_INVITES_NEW_ACCOUNT_PER_DAY", default=20)
# Staff must pass the second step with an authenticator app, whatever the site's policy.
HYGATE_STAFF_REQUIRE_TOTP = env.bool("HYGATE_STAFF_REQUIRE_TOTP", default=False)
# How many reverse proxies in front of Hygate append to X-Forwarded-For (0: none, use
# REMOTE_ADDR). The client address decides IP rate limits.
HYGATE_TRUSTED_PROXIES = env.int("HYGATE_TRUSTED_PROXIES", default=0)

# --- E-mail (see README, "E-mail") ---
# Settings saved on Settings -> Email win over these at send time.
RESEND_API_KEY = env.str("RESEND_API_KEY", default="")
RESEND_FROM_EMAIL = env.str("RESEND_FROM_EMAIL", default="")
RESEND_API_URL = env.str("RESEND_API_URL", default="https://api.resend.com").rstrip("/")
EMAIL_PROVIDER = env.str("EMAIL_PROVIDER", default="") or (
    "resend" if RESEND_API_KEY else "console"
)
if EMAIL_PROVIDER not in ("resend", "smtp", "console", "locmem"):
    raise ImproperlyConfigured("EMAIL_PROVIDER must be 'resend', 'smtp' or 'console'.")
SMTP_HOST = env.str("SMTP_HOST", default="")
SMTP_PORT = env.int("SMTP_PORT", default=None)
SMTP_USERNAME = env.str("SMTP_USERNAME", default="")
SMTP_PASSWORD = env.str("SMTP_PASSWORD", default="")
SMTP_SECURITY = env.str("SMTP_SECURITY", default="starttls")
if SMTP_SECURITY not in ("ssl", "starttls", "none"):
    raise ImproperlyConfigured("SMTP_SECURITY must be 'ssl', 'starttls' or 'none'.")
SMTP_FROM_EMAIL = env.str("SMTP_FROM_EMAIL", default="")
HYGATE_DEFAULT_FROM_EMAIL = "onboarding@resend.dev"
DEFAULT_FROM_EMAIL = RESEND_FROM_EMAIL or HYGATE_DEFAULT_FROM_EMAIL
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = "emailing.backends.configured.ConfiguredEmailBackend"
EMAIL_TIMEOUT = 10
HYGATE_EMAIL_MAX_ATTEMPTS = 3
HYGATE_EMAIL_RETRY_BASE_DELAY = 0.5  # seconds, doubled for each further attempt
HYGATE_EMAIL_RETRY_MAX_DELAY = 5.0  # a longer retry-after ends the send as rate-limited
# All tries of one send together, well under gunicorn's worker timeout (README: Deploying).
HYGATE_EMAIL_SEND_DEADLINE = env.float("HYGATE_EMAIL_SEND_DEADLINE", default=10.0)

# --- Mail at scale (see README, "Deploying") ---
# `immediate`: mail leaves in the web process; `database`: queued mail waits in the database
# for `manage.py db_worker`.
HYGATE_EMAIL_QUEUE = env.str("HYGATE_EMAIL_QUEUE", default="immediate")
if HYGATE_EMAIL_QUEUE not in ("immediate", "database"):
    raise ImproperlyConfigured("HYGATE_EMAIL_QUEUE must be 'immediate' or 'database'.")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if HYGATE_EMAIL_QUEUE == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}
# Provider calls per second, across every process (counted in the cache: Redis).
HYGATE_EMAIL_RATE = env.float("HYGATE_EMAIL_RATE", default=10.0)
# How long a queued mail is retried (with backoff) before it is failed, in seconds.
HYGATE_EMAIL_QUEUE_RETRY_FOR = env.int("HYGATE_EMAIL_QUEUE_RETRY_FOR", default=3600)
# Seconds before a queued mail's first retry, doubled each round, at most 15 minutes.
HYGATE_EMAIL_QUEUE_RETRY_DELAY = env.float("HYGATE_EMAIL_QUEUE_RETRY_DELAY", default=15.0)
# An optional secondary provider (SMTP) for when the primary still fails after its retries.
HYGATE_FAILOVER_SMTP_HOST = env.str("HYGATE_FAILOVER_SMTP_HOST", default="")
HYGATE_FAILOVER_SMTP_PORT = env.int("HYGATE_FAILOVER_SMTP_PORT", default=None)
HYGATE_FAILOVER_SMTP_USERNAME = env.str("HYGATE_FAILOVER_SMTP_USERNAME", default="")
HYGATE_FAILOVER_SMTP_PASSWORD = env.str("HYGATE_FAILOVER_SMTP_PASSWORD", default="")
HYGATE_FAILOVER_SMTP_SECURITY = env.str("HYGATE_FAILOVER_SMTP_SECURITY", default="starttls")
if HYGATE_FAILOVER_SMTP_SECURITY not in ("ssl", "starttls", "none"):
    raise ImproperlyConfigured("HYGATE_FAILOVER_SMTP_SECURITY must be 'ssl', 'starttls' or 'none'.")
# A fallback for the webhook secret saved on Settings -> Email.
RESEND_WEBHOOK_SECRET = env.str("RESEND_WEBHOOK_SECRET", default="")

# Fernet keys for secrets at rest, comma-separated: the first encrypts, all decrypt.
HYGATE_ENCRYPTION_KEY = env.list("HYGATE_ENCRYPTION_KEY", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_secret_paths": {"()": "core.logging.RedactSecretPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secret_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "hygate": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


# --- Sign-in for other apps: Hygate as an OpenID Connect provider (see README) ---
def _pkce_required(client_id: str) -> bool:
    from oidc.clients import pkce_required  # the apps are loaded by the time DOT asks

    return pkce_required(client_id)


# DOT's own models, named so that oidc's migrations can point at them.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105
HYGATE_OIDC_REFRESH_TOKEN_SECONDS = env.int("HYGATE_OIDC_REFRESH_TOKEN_SECONDS", default=30 * 86400)
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # The issuer is the site itself; the signing keys come from the database (oidc/keys.py).
    "OIDC_ISS_ENDPOINT": HYGATE_SITE_URL,
    "OAUTH2_VALIDATOR_CLASS": "oidc.validators.HygateValidator",
    "SCOPES": {
        "openid": "Know that it is you",
        "email": "See your e-mail address",
        "profile": "See your name",
        "organisations": "See your organisations and your role in each",
    },
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": _pkce_required,
    "CLIENT_SECRET_HASHER": "hygate_client_secret_sha256",  # oidc/hashers.py says why
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 10 * 60,
    "ID_TOKEN_EXPIRE_SECONDS": 10 * 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": HYGATE_OIDC_REFRESH_TOKEN_SECONDS,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REQUEST_APPROVAL_PROMPT": "force",  # Hygate asks once per app and scope set itself
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,  # the app's own, in oidc.provider_views
    "ALLOW_URI_WILDCARDS": False,
    # RFC 9700: no implicit or password grant, no "plain" PKCE, tokens hashed at rest.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    # RFC 9207: the authorization response names its issuer (against mix-up attacks).
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
}
# DOT warns that http redirect URIs are allowed: only a loopback address may use http
# (RFC 8252 7.3, native apps), which oidc.forms.clean_uris enforces for every app.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]
