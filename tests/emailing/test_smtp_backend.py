"""Mail goes out over SMTP to a real server on loopback."""

import pytest
from django.core.mail import EmailMultiAlternatives

from emailing.backends.smtp import SMTPBackend
from emailing.errors import EmailDeliveryError
from emailing.messages import send_message
from emailing.models import EmailLog
from tests.fakes.smtp_server import SMTP_PASSWORD, SMTP_USER, free_port

pytestmark = pytest.mark.django_db


def message():
    msg = EmailMultiAlternatives(
        "Hello over SMTP", "plain body", "Hygate <id@hygate.example>", ["someone@example.com"]
    )
    msg.attach_alternative("<p>html body</p>", "text/html")
    return msg


def backend(port, username=SMTP_USER, password=SMTP_PASSWORD):
    return SMTPBackend(
        host="127.0.0.1",
        port=port,
        username=username,
        password=password,
        security="none",
        timeout=2,
    )


def test_a_message_is_delivered_with_both_parts(smtp_server):
    assert backend(smtp_server.port).send_messages([message()]) == 1

    [received] = smtp_server.inbox.messages
    assert received["to"] == ["someone@example.com"]
    assert received["from"] == "id@hygate.example"
    parts = {part.get_content_type() for part in received["message"].walk()}
    assert {"text/plain", "text/html"} <= parts
    assert smtp_server.inbox.logins == [(SMTP_USER, SMTP_PASSWORD)]

    entry = EmailLog.objects.get()
    assert entry.status == EmailLog.Status.SENT
    assert entry.provider == "smtp"
    assert entry.provider_message_id == received["message"]["Message-ID"]


def test_a_refused_login_is_smtp_auth_failed(smtp_server):
    with pytest.raises(EmailDeliveryError) as caught:
        backend(smtp_server.port, password="wrong password").send_messages([message()])
    assert caught.value.code == "smtp_auth_failed"
    assert "535" in caught.value.provider_message
    assert smtp_server.inbox.messages == []
    assert EmailLog.objects.get().attempts == 1


def test_a_server_that_hangs_up_is_retried_then_connection_failed(hang_up_server):
    with pytest.raises(EmailDeliveryError) as caught:
        backend(hang_up_server.port).send_messages([message()])
    assert caught.value.code == "connection_failed"
    assert hang_up_server.connections == 3
    entry = EmailLog.objects.get()
    assert entry.attempts == 3
    assert entry.error_code == "connection_failed"


def test_nothing_listening_is_connection_failed():
    with pytest.raises(EmailDeliveryError) as caught:
        backend(free_port()).send_messages([message()])
    assert caught.value.code == "connection_failed"


def test_tls_to_a_plain_server_fails_cleanly(smtp_server):
    tls = SMTPBackend(host="127.0.0.1", port=smtp_server.port, security="ssl", timeout=2)
    with pytest.raises(EmailDeliveryError) as caught:
        tls.send_messages([message()])
    assert caught.value.code == "connection_failed"
    assert smtp_server.inbox.messages == []


def test_the_backend_refuses_to_log_in_unencrypted_to_another_machine(settings):
    """Configured from the environment, nothing on a form stands in the way."""
    settings.EMAIL_PROVIDER = "smtp"
    settings.SMTP_HOST = "mail.example.net"
    settings.SMTP_SECURITY = "none"
    settings.SMTP_USERNAME = SMTP_USER
    settings.SMTP_PASSWORD = SMTP_PASSWORD

    delivery = send_message("verification_code", "someone@example.com", {"code": "123456"})

    assert not delivery.sent
    assert delivery.error_code == "connection_failed"
    assert "unencrypted to mail.example.net" in delivery.error.provider_message
    assert "Choose ssl or starttls" in delivery.error.advice
    entry = EmailLog.objects.get()
    assert (entry.status, entry.attempts) == ("failed", 1)
