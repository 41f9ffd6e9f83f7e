"""A secondary SMTP provider takes over when the primary is down, never on a bad address."""

import pytest

from emailing.messages import send_message
from emailing.models import EmailLog
from tests.factories import UserFactory
from tests.fakes.resend_api import Failure

pytestmark = pytest.mark.django_db


@pytest.fixture
def failover(settings, smtp_server):
    settings.HYGATE_FAILOVER_SMTP_HOST = "127.0.0.1"
    settings.HYGATE_FAILOVER_SMTP_PORT = smtp_server.port
    settings.HYGATE_FAILOVER_SMTP_SECURITY = "none"
    return smtp_server


def test_an_outage_at_the_primary_hands_the_mail_to_the_secondary(resend_api, failover):
    resend_api.fail_next(Failure(), Failure(), Failure())

    delivery = send_message("security_notice", "grace@example.com", {"user": None})

    assert delivery.sent
    [received] = failover.inbox.messages
    assert received["to"] == ["grace@example.com"]
    entry = EmailLog.objects.get()
    assert (entry.status, entry.provider, entry.failed_over) == ("sent", "smtp", True)


def test_an_error_a_second_provider_would_repeat_does_not_fail_over(resend_api, failover, settings):
    settings.RESEND_FROM_EMAIL = settings.DEFAULT_FROM_EMAIL = "not an address"

    delivery = send_message("security_notice", "grace@example.com", {"user": None})

    assert not delivery.sent and delivery.error_code == "invalid_from_address"
    assert failover.inbox.messages == []
    assert not EmailLog.objects.get().failed_over


def test_settings_page_counts_failovers(client, resend_api, failover):
    resend_api.fail_next(Failure(), Failure(), Failure())
    send_message("security_notice", "grace@example.com", {"user": None})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get("/settings/email/").content.decode()

    assert f"127.0.0.1:{failover.port}" in page
    assert "<strong>1</strong> mail(s) in the last 24 hours" in page


def test_a_queue_run_that_lost_its_claim_sends_nothing_more_through_the_failover(
    resend_api, failover
):
    import time_machine
    from django.core.mail import get_connection

    from emailing import queue
    from emailing.messages import render_message

    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        messages = [
            render_message("test_message", f"p{n}@example.org", {"provider": "resend"})
            for n in range(2)
        ]
        [batch] = {entry.batch_key for entry in queue.queue(messages)}
        slow_run = queue.claim(batch)
        traveller.shift(3 * 60)  # the slow run looks dead: another worker takes the batch
        queue.claim(batch)

        resend_api.fail_next(Failure(), Failure(), Failure())
        for entry in slow_run:
            message = queue.decode(entry.payload)
            message.delivery_log = entry
            get_connection(fail_silently=True).send_messages([message])

    assert failover.inbox.messages == []
