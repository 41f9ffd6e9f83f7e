"""Authenticator-app codes (TOTP, RFC 6238): SHA-1, 6 digits, 30-second steps.

A code is accepted for the current step and one step either way (clock drift), and each
time step is accepted at most once per authenticator, across sessions: the newest accepted
step is stored and only a later one can pass, by a conditional UPDATE.
"""

import base64
import secrets
import time
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from django.utils.crypto import constant_time_compare

from twofactor.models import Authenticator

ISSUER = "Hygate"
DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended key length for SHA-1


def new_secret() -> str:
    """Return a fresh random secret, base32 without padding, as apps expect it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def secret_groups(secret: str) -> str:
    """Return the secret in groups of four characters, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    """Return the otpauth:// URI an app reads from the QR code."""
    label = quote(f"{issuer}:{email}", safe=":@")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def _totp(secret: str) -> TOTP:
    padded = secret + "=" * (-len(secret) % 8)
    return TOTP(base64.b32decode(padded), DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303


def current_step(now: float | None = None) -> int:
    """Return the number of the 30-second step at `now` (default: the clock)."""
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    """Return the code an app shows during `step`."""
    return _totp(secret).generate(step * STEP_SECONDS).decode()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """Return the step within the allowed drift whose code is `code`, else None."""
    centre = current_step(now)
    found = None
    # Compare against every candidate step so the time taken says nothing about which matched.
    for step in range(centre - DRIFT_STEPS, centre + DRIFT_STEPS + 1):
        if constant_time_compare(code_at(secret, step), code):
            found = step
    return found


def verify(authenticator: Authenticator, code: str) -> bool:
    """Accept a code from the authenticator once: a step at or before the last used one fails."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return False
    step = matching_step(authenticator.get_secret(), code)
    if step is None or step <= authenticator.last_used_step:
        return False
    accepted = Authenticator.objects.filter(pk=authenticator.pk, last_used_step__lt=step).update(
        last_used_step=step
    )
    if accepted:
        authenticator.last_used_step = step
    return bool(accepted)
