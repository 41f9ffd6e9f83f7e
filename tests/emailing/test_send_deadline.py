"""A mail server that never answers costs a visitor seconds, never the page, never the log.

Every send has one deadline for all its tries (HYGATE_EMAIL_SEND_DEADLINE), well under
gunicorn's worker timeout; a delivery that cannot finish is logged as failed, and rows a
killed process left queued are marked failed later.
"""

import signal
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from emailing import delivery_log
from emailing.messages import send_message
from emailing.models import EmailLog
from tests.fakes.resend_api import Failure

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
VERIFY = reverse("accounts:verify")
RESET = reverse("accounts:password_reset")


@pytest.fixture
def smtp_that_never_answers(silent_server, settings):
    """The environment's provider is SMTP on a server that accepts and then says nothing."""
    settings.EMAIL_PROVIDER = "smtp"
    settings.SMTP_HOST = "127.0.0.1"
    settings.SMTP_PORT = silent_server.port
    settings.SMTP_SECURITY = "none"
    settings.SMTP_USERNAME = "resend"
    settings.SMTP_PASSWORD = "re_smtp_password_1234567890"
    settings.EMAIL_TIMEOUT = 2  # each try alone could take this long ...
    settings.HYGATE_EMAIL_SEND_DEADLINE = 0.3  # ... but all tries together only this
    return silent_server


def test_sign_up_against_a_silent_mail_server_still_answers(client, smtp_that_never_answers):
    response = client.post(
        SIGNUP, {"email": "new.person@example.com", "password": "a long and unusual phrase 42"}
    )

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert User.objects.filter(email="new.person@example.com").exists()
    assert "could not send" in client.get(VERIFY).content.decode()
    entry = EmailLog.objects.get()
    assert entry.status == "failed"
    assert entry.error_code == "connection_failed"
    # No second try: it would have started after the deadline.
    assert entry.attempts == 1
    assert smtp_that_never_answers.connections == 1


def test_a_deferred_reset_mail_to_a_silent_server_ends_failed(
    client, user, smtp_that_never_answers
):
    response = client.post(RESET, {"email": user.email})

    assert response.status_code == 302
    entry = EmailLog.objects.get(kind="password_reset")
    assert entry.status == "failed"
    assert entry.error_code == "connection_failed"
    assert entry.attempts == 1


def test_a_stalling_resend_api_is_given_up_on_at_the_deadline(resend_api, settings):
    settings.HYGATE_EMAIL_SEND_DEADLINE = 0.2  # shorter than one try's 0.5 s timeout
    resend_api.fail_next(Failure(sleep=1.0))

    delivery = send_message("verification_code", "someone@verified.example", {"code": "1"})

    assert not delivery.sent
    assert delivery.error_code == "connection_failed"
    entry = EmailLog.objects.get()
    assert entry.status == "failed"
    assert entry.attempts == 1


def test_a_send_cut_short_by_a_worker_timeout_is_logged_as_interrupted(
    smtp_that_never_answers, settings
):
    """gunicorn ends a worker that overran its timeout by raising SystemExit inside it."""
    settings.HYGATE_EMAIL_SEND_DEADLINE = 5
    settings.EMAIL_TIMEOUT = 5

    def worker_timeout(signum, frame):
        raise SystemExit(1)

    previous = signal.signal(signal.SIGALRM, worker_timeout)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(SystemExit):
            send_message("verification_code", "someone@example.com", {"code": "1"})
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    entry = EmailLog.objects.get()
    assert entry.status == "failed"
    assert entry.error_code == "interrupted"


def queued(minutes_ago: float) -> EmailLog:
    entry = EmailLog.objects.create(kind="notice", recipient="r@example.com", subject="s")
    EmailLog.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return entry


def test_purge_expired_ends_rows_a_killed_process_left_queued(capsys):
    left_behind, in_flight = queued(minutes_ago=10), queued(minutes_ago=0)

    call_command("purge_expired")

    left_behind.refresh_from_db()
    in_flight.refresh_from_db()
    assert (left_behind.status, left_behind.error_code) == ("failed", "interrupted")
    assert in_flight.status == "queued"
    assert "stuck deliveries marked failed (kept in the log): 1" in capsys.readouterr().out


def test_email_status_ends_rows_a_killed_process_left_queued(capsys):
    left_behind = queued(minutes_ago=10)

    call_command("email_status")

    left_behind.refresh_from_db()
    assert left_behind.error_code == "interrupted"
    assert "1 message(s) left queued by a stopped process" in capsys.readouterr().out


def test_a_new_process_ends_them_when_it_sends_its_first_mail(monkeypatch, outbox):
    monkeypatch.setattr(delivery_log, "_done", False)  # as in a freshly started process
    left_behind = queued(minutes_ago=10)

    send_message("verification_code", "someone@example.com", {"code": "1"})
    second = queued(minutes_ago=10)
    send_message("verification_code", "someone@example.com", {"code": "2"})

    left_behind.refresh_from_db()
    second.refresh_from_db()
    assert left_behind.status == "failed"
    assert second.status == "queued"  # once per process, not a query per message
    assert len(outbox) == 2


# A provider that drips: every line comes well within a read timeout, for a minute. Only a
# wall clock on the whole attempt ends the wait. The bounds below are generous on purpose:
# they tell "ended at the deadline" from "held for the minute", not a fast machine from a
# slow one.
DRIP_DEADLINE = 1.0
HELD_FOR_EVER = 20.0


@pytest.fixture
def dripping_smtp(settings):
    """The environment's provider is SMTP on a server that greets a line at a time, forever."""
    from tests.fakes.smtp_server import DrippingServer

    server = DrippingServer(interval=0.2).start()
    settings.EMAIL_PROVIDER = "smtp"
    settings.SMTP_HOST = "127.0.0.1"
    settings.SMTP_PORT = server.port
    settings.SMTP_SECURITY = "none"
    settings.SMTP_USERNAME = ""
    settings.SMTP_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.HYGATE_EMAIL_SEND_DEADLINE = DRIP_DEADLINE
    yield server
    server.stop()


def test_sign_up_against_a_dripping_smtp_server_answers_at_the_deadline(client, dripping_smtp):
    started = time.monotonic()
    response = client.post(
        SIGNUP, {"email": "new.person@example.com", "password": "a long and unusual phrase 42"}
    )

    assert time.monotonic() - started < HELD_FOR_EVER
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    entry = EmailLog.objects.get()
    assert entry.status == "failed"
    assert entry.error_code == "connection_failed"
    assert "deadline" in entry.error_message


def test_a_dripping_resend_api_is_given_up_on_at_the_deadline(resend_api, settings):
    settings.HYGATE_EMAIL_SEND_DEADLINE = DRIP_DEADLINE
    resend_api.fail_next(Failure(drip=0.1))

    started = time.monotonic()
    delivery = send_message("verification_code", "someone@verified.example", {"code": "1"})

    assert time.monotonic() - started < HELD_FOR_EVER
    assert not delivery.sent
    assert delivery.error_code == "connection_failed"
    entry = EmailLog.objects.get()
    assert entry.status == "failed"
    assert "deadline" in entry.error_message


def test_test_connection_to_a_dripping_server_answers_at_the_deadline(client, dripping_smtp):
    from tests.factories import UserFactory
    from tests.fakes.resend_api import OWNER

    admin = UserFactory(staff=True, is_superuser=True, email=OWNER)
    client.force_login(admin)
    form = {
        "provider": "smtp",
        "from_email": "Hygate <id@hygate.example>",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(dripping_smtp.port),
        "smtp_security": "none",
        "smtp_username": "",
        "smtp_password": "",
        "action": "test",
    }

    started = time.monotonic()
    page = client.post(reverse("emailing:settings"), form).content.decode()

    assert time.monotonic() - started < HELD_FOR_EVER
    assert "Error code <code>connection_failed</code>" in page
