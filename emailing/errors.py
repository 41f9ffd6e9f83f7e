"""Provider failures as Hygate error codes, each with one sentence saying what to do.

Every failure of every provider becomes one `EmailDeliveryError` carrying a code from
`ADVICE`, the provider's own message (shown to staff), and whether trying again later
may succeed.
"""

import math
import smtplib
import socket
import ssl
from dataclasses import dataclass

# Resend's testing sender, and what is said of it wherever it comes up (the settings page,
# a failed send's advice, the system check).
SHARED_SENDER = "onboarding@resend.dev"
SHARED_SENDER_ADVICE = (
    f"Resend's shared testing sender {SHARED_SENDER} delivers only to the address of the "
    "Resend account's owner. Verify your own domain at resend.com/domains and send from "
    "an address on it."
)

ADVICE = {
    "invalid_api_key": (
        "The API key is not valid. Copy a key from resend.com/api-keys (it starts with re_) "
        "and paste it again, or create a new one."
    ),
    "missing_api_key": "No API key is set. Paste a Resend API key (it starts with re_).",
    "restricted_api_key": (
        "This API key may only send e-mail. Sending works; to check your domains, use a key "
        "with Full access."
    ),
    "domain_not_verified": (
        "The from-address's domain is not verified in Resend. Add the domain at "
        "resend.com/domains, publish the DNS records it shows, wait for 'Verified', then "
        "send from an address on that domain."
    ),
    "testing_sender": SHARED_SENDER_ADVICE,
    "invalid_from_address": (
        "The from-address is not valid. Use name@example.com or Name <name@example.com>, "
        "on a domain you have verified."
    ),
    "rate_limit_exceeded": (
        "The provider is refusing requests for sending too fast. Wait a moment and try "
        "again; ask the provider for a higher rate limit if it keeps happening."
    ),
    "quota_exceeded": (
        "The provider's daily or monthly sending quota is used up. Wait until it resets, or "
        "upgrade your plan with the provider."
    ),
    "provider_error": (
        "The provider could not send the message. Read the provider's message below; if it "
        "is an outage, try again later."
    ),
    "connection_failed": (
        "Hygate could not reach the provider. Check the host, port and security settings, "
        "and that this server may make outgoing connections to it."
    ),
    "cleartext_auth": (
        "The SMTP password would cross the network unencrypted. Choose ssl or starttls, or "
        "send through a relay on this machine (127.0.0.1, ::1 or localhost)."
    ),
    "interrupted": (
        "The process sending this message stopped before it finished (a worker timeout or a "
        "restart). The message may not have been sent; ask the person to request it again."
    ),
    "unreadable_payload": (
        "The queued message could not be decrypted: HYGATE_ENCRYPTION_KEY no longer holds "
        "the key it was saved with. Ask the person to request it again."
    ),
    "suppressed": (
        "This address bounced for good or marked our mail as spam, so no more mail is sent to "
        "it. Ask the person for another address; staff can lift the block on Settings -> Email."
    ),
    "smtp_no_auth": (
        "The SMTP server does not offer login (no AUTH), so the username and password cannot "
        "be used. For a relay that needs no login, leave the username and password blank; "
        "otherwise use the port that offers login (587 with STARTTLS, or 465 with SSL/TLS)."
    ),
    "smtp_auth_failed": (
        "The SMTP server refused the username or password. For Resend's relay, the "
        "username is 'resend' and the password is your API key."
    ),
}

# What went wrong, in a few words: the headline staff read above the code and the advice.
HEADLINES = {
    "invalid_api_key": "The API key was refused",
    "missing_api_key": "No API key",
    "restricted_api_key": "The API key may only send",
    "domain_not_verified": "The sender's domain is not verified",
    "testing_sender": "Resend's testing sender cannot reach this address",
    "invalid_from_address": "The from-address is not valid",
    "rate_limit_exceeded": "The provider says: too fast",
    "quota_exceeded": "The sending quota is used up",
    "provider_error": "The provider could not send the message",
    "connection_failed": "Could not reach the provider",
    "cleartext_auth": "The password would cross the network unencrypted",
    "interrupted": "Sending was interrupted",
    "unreadable_payload": "The queued message cannot be read",
    "suppressed": "This address is suppressed",
    "smtp_no_auth": "The SMTP server offers no login",
    "smtp_auth_failed": "The SMTP login was refused",
}


@dataclass
class EmailDeliveryError(Exception):
    """A message could not be delivered; `code` is one of Hygate's error codes."""

    code: str
    provider_message: str = ""
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None
    advice_key: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.code)
        self.advice_key = self.advice_key or self.code

    def __str__(self) -> str:
        return f"{self.code}: {self.provider_message}" if self.provider_message else self.code

    @property
    def advice(self) -> str:
        return ADVICE[self.advice_key]

    @property
    def headline(self) -> str:
        return HEADLINES.get(self.code) or HEADLINES[self.advice_key]


def fails_over(error: EmailDeliveryError) -> bool:
    """Say whether a second provider might succeed where the first failed.

    Only trouble at the provider itself qualifies (an outage, a connection that failed); a
    bad address, a refused sender or a suppressed recipient would fail there too.
    """
    return error.code == "connection_failed" or (error.code == "provider_error" and error.retryable)


def from_resend(
    status: int, name: str, message: str, retry_after: str | None
) -> EmailDeliveryError:
    """Translate a Resend API error (HTTP status, error name, message) into a Hygate error."""
    lowered = message.lower()
    code, advice_key, retryable = "provider_error", "", False
    if name == "missing_api_key":
        code = "missing_api_key"
    elif name == "restricted_api_key":
        code = "restricted_api_key"
    elif name == "invalid_api_key" or (status == 401 and name not in ("validation_error",)):
        code = "invalid_api_key"
    elif name == "invalid_from_address":
        code = "invalid_from_address"
    elif "testing emails" in lowered or "your own email address" in lowered:
        code, advice_key = "domain_not_verified", "testing_sender"
    elif "not verified" in lowered and "domain" in lowered:
        code = "domain_not_verified"
    elif name in ("daily_quota_exceeded", "monthly_quota_exceeded"):
        code = "quota_exceeded"
    elif status == 429 or name == "rate_limit_exceeded":
        code, retryable = "rate_limit_exceeded", True
    elif name == "concurrent_idempotent_requests" or status >= 500:
        retryable = True
    return EmailDeliveryError(
        code,
        provider_message=message,
        status=status,
        retryable=retryable,
        retry_after=_seconds(retry_after),
        advice_key=advice_key,
    )


def from_smtp(error: Exception) -> EmailDeliveryError:
    """Translate an exception of smtplib or the network into a Hygate error."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return EmailDeliveryError("smtp_auth_failed", _smtp_text(error), status=error.smtp_code)
    if isinstance(error, smtplib.SMTPNotSupportedError) and "AUTH" in str(error):
        # The connection worked; the login cannot happen here. smtplib says so only in the
        # text: "SMTP AUTH extension not supported by server."
        return EmailDeliveryError("smtp_auth_failed", str(error), advice_key="smtp_no_auth")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return EmailDeliveryError("connection_failed", str(error))
    if isinstance(error, smtplib.SMTPSenderRefused):
        return EmailDeliveryError(
            "invalid_from_address",
            _smtp_text(error),
            status=error.smtp_code,
            retryable=400 <= error.smtp_code < 500,
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        text = "; ".join(
            f"{address}: {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
            for address, (_, reply) in error.recipients.items()
        )
        transient = bool(codes) and all(400 <= code < 500 for code in codes)
        return EmailDeliveryError("provider_error", text, retryable=transient)
    if isinstance(error, smtplib.SMTPResponseException):
        transient = 400 <= error.smtp_code < 500
        return EmailDeliveryError(
            "provider_error", _smtp_text(error), status=error.smtp_code, retryable=transient
        )
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError | socket.timeout):
        return EmailDeliveryError("connection_failed", str(error) or type(error).__name__)
    if isinstance(error, ssl.SSLError | socket.gaierror | OSError):
        return EmailDeliveryError("connection_failed", str(error) or type(error).__name__)
    return EmailDeliveryError("provider_error", str(error) or type(error).__name__)


def _smtp_text(error: smtplib.SMTPResponseException) -> str:
    reply = error.smtp_error
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return f"{error.smtp_code} {text}"


# The longest retry-after taken as said: longer is as good as "not today", and a value
# such as 1e300 or inf would overflow every clock it is added to.
MAX_RETRY_AFTER = 24 * 60 * 60.0


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
