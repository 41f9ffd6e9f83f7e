"""What a person has besides the browser: their mailbox and their authenticator app.

Mail goes to Django's locmem outbox; the live server runs in a thread of this process, so
the test reads what the server sent. Some mail leaves after the response (a password
reset), so reading waits a little for it.
"""

import base64
import re
import time

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from django.core import mail
from django.core.mail import EmailMessage


class Inbox:
    """The messages the site has sent, read the way their recipient reads them."""

    def __init__(self, site_url: str) -> None:
        self.site_url = site_url
        mail.outbox = []

    def latest(self, to: str, timeout: float = 5.0) -> EmailMessage:
        """Return the newest message to `to`, waiting up to `timeout` seconds for one."""
        deadline = time.monotonic() + timeout
        while True:
            for message in reversed(mail.outbox):
                if to in message.to:
                    return message
            if time.monotonic() > deadline:
                sent = [(m.to, m.subject) for m in mail.outbox]
                raise AssertionError(f"no message to {to} arrived; sent: {sent}")
            time.sleep(0.05)

    def code(self, to: str) -> str:
        """Return the 6-digit code of the newest message to `to`."""
        body = self.latest(to).body
        match = re.search(r"^\s+(\d{6})\s*$", body, re.MULTILINE)
        assert match, body
        return match.group(1)

    def link(self, to: str) -> str:
        """Return the first link to this site in the newest message to `to`."""
        body = self.latest(to).body
        match = re.search(re.escape(self.site_url) + r"/\S+", body)
        assert match, body
        return match.group(0)


def authenticator_code(secret: str, at: float | None = None) -> str:
    """Return the code an authenticator app shows for a base32 `secret` (RFC 6238 defaults)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return TOTP(key, 6, SHA1(), 30).generate(time.time() if at is None else at).decode()  # noqa: S303


def wrong_code(right: str) -> str:
    """Return a well-formed 6-digit code that is not `right`."""
    return "000000" if right != "000000" else "111111"


def type_code(page, code: str, label: str = "Code") -> None:
    """Type a 6-digit code as a person does: the page sends itself at the sixth digit.

    A click on the button afterwards would post the form of the page the code led to.
    """
    with page.expect_navigation():
        page.get_by_label(label).fill(code)
