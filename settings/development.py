"""Local development: DEBUG on, SQLite, mail printed to the terminal."""

import ipaddress
import os
import secrets
import time

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, MIDDLEWARE, OAUTH2_PROVIDER, env


def _local_secret(name: str, make) -> str:
    """Return a secret kept in the git-ignored .local/ folder, creating it on first use."""
    folder = BASE_DIR / ".local"
    path = folder / name
    folder.mkdir(mode=0o700, exist_ok=True)
    secret = make()
    try:
        # Private from its first byte; O_EXCL neither follows a planted symlink nor
        # overwrites a secret another process has just written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be between creating and writing it
            if stored := path.read_text().strip():
                return stored
            time.sleep(0.02)
        raise ImproperlyConfigured(f"{path} is empty: delete it to make a new one.") from None
    with os.fdopen(fd, "w") as file:
        file.write(secret)
    return secret


def site_url_for_host(host: str) -> str:
    """Return the base of e-mail links for `runserver HOST` ([address:]port).

    A loopback address becomes `localhost`: browsers offer passkeys there, never on an IP.
    So does 0.0.0.0 (every interface, loopback included): the machine's outside name is
    not known here.
    """
    address, _, port = host.rpartition(":")
    if not port.isdigit():
        address, port = host, "8000"
    address = address.strip("[]")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"http://{address or 'localhost'}:{port}"
    if ip.is_loopback or ip.is_unspecified:
        return f"http://localhost:{port}"
    return f"http://[{ip}]:{port}" if ip.version == 6 else f"http://{ip}:{port}"


DEBUG = env.bool("DEBUG", default=True)
# `make run HOST=...` exports its HOST, so links in e-mail point where the server listens.
HYGATE_SITE_URL = env.str("HYGATE_SITE_URL", default="").rstrip("/") or site_url_for_host(
    env.str("HYGATE_DEV_HOST", default="127.0.0.1:8000")
)
# The OpenID Connect issuer is the site itself.
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": HYGATE_SITE_URL}
# A browser keeps one cookie jar for every port of localhost: an app run beside Hygate
# (README, "Sign your apps in with Hygate") would overwrite Hygate's `sessionid` with its
# own, and Hygate the app's, which then never finds the state its sign-in began with.
SESSION_COOKIE_NAME = "hygate_session"
CSRF_COOKIE_NAME = "hygate_csrftoken"
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
HYGATE_ENCRYPTION_KEY = env.list("HYGATE_ENCRYPTION_KEY", default=[]) or [
    _local_secret("encryption_key", lambda: Fernet.generate_key().decode())
]

# Static files go through the middleware (WhiteNoise, from the source folders), not around
# it as runserver's own handler would, so they carry the security headers too.
INSTALLED_APPS = ["whitenoise.runserver_nostatic", *INSTALLED_APPS]
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = True
# An edit to the CSS or the script shows at the next load: browsers keep the file but ask
# again each time (max-age=0 with an ETag: an unchanged file costs a 304). No compression
# here: WhiteNoise serves only the .gz files collectstatic makes in production, and gzipping
# every response on the fly would also compress pages that carry secrets (BREACH).
WHITENOISE_MAX_AGE = 0
