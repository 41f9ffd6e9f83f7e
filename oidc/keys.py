"""The RSA keys that sign ID tokens: kept encrypted in the database, handed to DOT.

DOT reads the signing key from `oauth2_settings.OIDC_RSA_PRIVATE_KEY` and publishes it with
`OIDC_RSA_PRIVATE_KEYS_INACTIVE` in the JWKS. `ensure_loaded()` puts the database's keys
there (the first use makes a key), and reads them again at least every RELOAD_SECONDS, so
every process signs with the new key within a minute of `manage.py oidc_rotate_key`. A
retired key stays published for RETIRED_KEY_SECONDS, so ID tokens it signed still verify.
"""

import time
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from core import crypto
from oidc.models import SigningKey

RELOAD_SECONDS = 60
RETIRED_KEY_SECONDS = 24 * 3600

_loaded: dict = {"at": 0.0, "active": None}


def _new_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _published() -> list[SigningKey]:
    cutoff = timezone.now() - timedelta(seconds=RETIRED_KEY_SECONDS)
    return list(
        SigningKey.objects.filter(retired_at__isnull=True)
        | SigningKey.objects.filter(retired_at__gt=cutoff)
    )


def rotate() -> SigningKey:
    """Make a new signing key and retire the one before it (it stays published a day)."""
    with transaction.atomic():
        SigningKey.objects.filter(retired_at__isnull=True).update(retired_at=timezone.now())
        key = SigningKey.objects.create(private_key=crypto.encrypt(_new_pem()))
    _loaded["at"] = 0.0
    return key


def purge_retired_keys() -> int:
    """Delete keys retired longer ago than they stay published; return how many."""
    cutoff = timezone.now() - timedelta(seconds=RETIRED_KEY_SECONDS)
    return SigningKey.objects.filter(retired_at__lte=cutoff).delete()[0]


def ensure_loaded() -> None:
    """Give DOT the current signing key and the retired ones still published."""
    fresh = time.monotonic() - _loaded["at"] < RELOAD_SECONDS
    if fresh and _loaded["active"] == oauth2_settings.OIDC_RSA_PRIVATE_KEY:
        return
    keys = _published()
    active = [k for k in keys if k.retired_at is None]
    if not active:
        rotate()
        keys = _published()
        active = [k for k in keys if k.retired_at is None]
    pems = [crypto.decrypt(k.private_key) for k in active + [k for k in keys if k.retired_at]]
    oauth2_settings.OIDC_RSA_PRIVATE_KEY = pems[0]
    oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE = pems[1:]
    # So that DOT's reload (a changed OAUTH2_PROVIDER setting) drops them too.
    oauth2_settings._cached_attrs.update({"OIDC_RSA_PRIVATE_KEY", "OIDC_RSA_PRIVATE_KEYS_INACTIVE"})
    _loaded.update(at=time.monotonic(), active=pems[0])


def forget() -> None:
    """Read the keys again at the next use (tests, and after a rotation in this process)."""
    _loaded.update(at=0.0, active=None)
