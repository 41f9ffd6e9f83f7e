"""What an authenticator app does with the secret it was given: RFC 6238, by cryptography."""

import base64
import re
import time

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP


def app_code(secret: str, offset_steps: int = 0) -> str:
    """Return the 6-digit code an app shows now (or `offset_steps` steps away)."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key, 6, SHA1(), 30)  # noqa: S303
    return totp.generate(int(time.time()) + 30 * offset_steps).decode()


def shown_secret(page: str) -> str:
    """Return the secret the enrolment page shows for manual entry, without its spaces."""
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert match, "the page shows no secret"
    return match.group(1).replace(" ", "")


def shown_recovery_codes(page: str) -> list[str]:
    """Return the recovery codes listed on a page."""
    return re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", page)
