"""SMTP (Resend's relay, SES, SendGrid, any server) through Django's SMTP backend."""

import smtplib
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend

from emailing.backends import watchdog
from emailing.backends.base import HygateEmailBackend
from emailing.config import sends_password_in_clear
from emailing.errors import EmailDeliveryError, from_smtp
from emailing.models import Provider, SMTPSecurity


class _WatchedSMTP(smtplib.SMTP):
    """smtplib.SMTP whose socket the attempt's watchdog cuts at the send's deadline."""

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        # Read self.sock when the time is up: after STARTTLS it is the TLS socket.
        watchdog.watch(lambda: self.sock or sock)
        return sock


class _WatchedSMTPSSL(smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL whose socket the attempt's watchdog cuts at the send's deadline."""

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        watchdog.watch(lambda: self.sock or sock)
        return sock


class _DjangoSMTPBackend(DjangoSMTPBackend):
    """Django's SMTP backend on connections that end at the send's deadline."""

    @property
    def connection_class(self):
        return _WatchedSMTPSSL if self.use_ssl else _WatchedSMTP


class SMTPBackend(HygateEmailBackend):
    """Send over SMTP with `ssl`, `starttls` or no transport security.

    A failure while connecting is retried; once a message is being transmitted, only a
    4xx reply (the server saying it did not take the message) is, so a dropped connection
    after DATA can never deliver a message twice. A password is never sent unencrypted to
    a host off this machine.
    """

    provider = Provider.SMTP
    rate_limited = True

    def __init__(
        self,
        host: str = "",
        port: int | None = None,
        username: str = "",
        password: str = "",
        security: str = SMTPSecurity.STARTTLS,
        timeout: float | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.security = security
        self.timeout = timeout
        self.smtp = _DjangoSMTPBackend(
            host=host,
            port=port,
            username=username,
            password=password,
            use_ssl=security == SMTPSecurity.SSL,
            use_tls=security == SMTPSecurity.STARTTLS,
            timeout=timeout,
            fail_silently=False,
        )

    def open(self) -> bool:
        # Connect lazily in send_one, where a failure can be told apart and retried.
        return False

    def close(self) -> None:
        try:
            self.smtp.close()
        except (smtplib.SMTPException, OSError):
            self.smtp.connection = None

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        try:
            return super().send_messages(email_messages)
        finally:
            self.close()

    def send_one(self, message: EmailMessage, idempotency_key: str) -> str:
        if not self.smtp.host:
            raise EmailDeliveryError("connection_failed", "No SMTP host is configured.")
        smtp = self.smtp
        if sends_password_in_clear(self.security, smtp.host, smtp.username, smtp.password):
            raise EmailDeliveryError(
                "connection_failed",
                f"Refused to send the SMTP password unencrypted to {smtp.host}.",
                advice_key="cleartext_auth",
            )
        configured = self.timeout if self.timeout is not None else settings.EMAIL_TIMEOUT
        smtp.timeout = self.attempt_timeout(configured)
        try:
            smtp.open()
        except Exception as error:
            self.close()
            failure = from_smtp(error)
            failure.retryable = failure.code == "connection_failed" or failure.retryable
            raise failure from None
        message_id = message.extra_headers.get("Message-ID")
        if not message_id:
            domain = parseaddr(message.from_email)[1].rpartition("@")[2] or "hygate.invalid"
            message_id = make_msgid(domain=domain)
            message.extra_headers["Message-ID"] = message_id
        sock = getattr(smtp.connection, "sock", None)
        if sock is not None:  # a connection kept from an earlier message has its old timeout
            sock.settimeout(self.attempt_timeout(configured))
        try:
            smtp.send_messages([message])
        except Exception as error:
            self.close()
            failure = from_smtp(error)
            if failure.code == "connection_failed":
                failure.retryable = False  # the server may have taken the message already
            raise failure from None
        return message_id
