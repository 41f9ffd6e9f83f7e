"""Keep secrets that travel in URLs (reset, invitation and undo tokens) out of log lines."""

import logging
import re

# /accounts/password/reset/<uidb64>/<token>/, /invitations/<token>/,
# /accounts/email/change/undo/<token>/ (a signed token: base64, "." and ":") and
# /accounts/security/authenticator/undo/<token>/.
_SECRET_PATHS = re.compile(
    r"(/accounts/password/reset/[\w-]+/)(?!set-password/)[\w-]+(/?)"
    r"|(/invitations/|/accounts/email/change/undo/|/accounts/security/authenticator/undo/)"
    r"[\w.:-]+(/?)"
)


def redact(text: str) -> str:
    """Replace the token part of secret-bearing paths with `[redacted]`."""

    def _sub(match: re.Match) -> str:
        if match.group(1):
            return f"{match.group(1)}[redacted]{match.group(2)}"
        return f"{match.group(3)}[redacted]{match.group(4)}"

    return _SECRET_PATHS.sub(_sub, text)


class RedactSecretPaths(logging.Filter):
    """A logging filter for handlers: redact tokens in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
