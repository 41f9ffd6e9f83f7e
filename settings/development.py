"""Local development: DEBUG on, SQLite, mail printed to the terminal."""

import secrets

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import BASE_DIR, env


def _local_secret(name: str, make) -> str:
    """Return a secret kept in the git-ignored .local/ folder, creating it on first use."""
    path = BASE_DIR / ".local" / name
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
HYGATE_ENCRYPTION_KEY = env.list("HYGATE_ENCRYPTION_KEY", default=[]) or [
    _local_secret("encryption_key", lambda: Fernet.generate_key().decode())
]
