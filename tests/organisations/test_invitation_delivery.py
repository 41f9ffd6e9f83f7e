"""An invitation says what became of its e-mail: queued, sent, or failed, as the provider said."""

import pytest
from django.urls import reverse

from emailing.models import EmailLog
from organisations.models import Invitation, Role
from tests.emailing.test_queue import work
from tests.factories import MembershipFactory, UserFactory
from tests.fakes.resend_api import WEBHOOK_SECRET, Failure

pytestmark = pytest.mark.django_db

ACME = reverse("organisations:detail", kwargs={"slug": "acme"})


@pytest.fixture
def database_queue(settings):
    settings.HYGATE_EMAIL_QUEUE = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.HYGATE_EMAIL_QUEUE_RETRY_DELAY = 1.0
    settings.HYGATE_EMAIL_QUEUE_RETRY_FOR = 0  # a failure is final at once


@pytest.fixture
def owner(client):
    ada = UserFactory(email="ada@example.com", name="Ada Lovelace")
    MembershipFactory(
        user=ada, organisation__name="Acme", organisation__slug="acme", role=Role.OWNER
    )
    client.force_login(ada)
    return ada


def invite(client, capture, email="grace@example.org"):
    with capture(execute=True):
        return client.post(ACME, {"action": "invite", "email": email, "role": "member"})


def paste(client, capture, lines):
    with capture(execute=True):
        return client.post(
            ACME, {"action": "bulk_invite", "emails": "\n".join(lines), "role": "member"}
        )


def test_a_queued_invitation_says_queued_until_the_worker_sends_it(
    client, owner, resend_api, database_queue, django_capture_on_commit_callbacks
):
    response = invite(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.sent_at is None and not invitation.send_failed
    page = client.get(ACME).content.decode()
    assert "queued" in page.lower()
    assert resend_api.delivered == []

    work()

    invitation.refresh_from_db()
    assert invitation.sent_at is not None and not invitation.send_failed
    assert len(resend_api.delivered) == 1
    assert "queued" not in client.get(ACME).content.decode().lower()


def test_bulk_invitations_get_their_sent_time_once_the_worker_sends_them(
    client, owner, resend_api, database_queue, django_capture_on_commit_callbacks
):
    paste(client, django_capture_on_commit_callbacks, ["p1@example.org", "p2@example.org"])
    assert list(Invitation.objects.values_list("sent_at", flat=True)) == [None, None]

    work()

    assert Invitation.objects.filter(sent_at=None).count() == 0
    assert Invitation.objects.filter(send_failed=True).count() == 0


def test_a_queued_invitation_whose_send_fails_says_so(
    client, owner, resend_api, database_queue, django_capture_on_commit_callbacks
):
    invite(client, django_capture_on_commit_callbacks)
    resend_api.fail_next(*[Failure(422, "validation_error", "Invalid `to` field.")] * 5)

    work()

    invitation = Invitation.objects.get()
    assert invitation.send_failed and invitation.sent_at is None
    assert "The e-mail could not be sent." in client.get(ACME).content.decode()


def test_a_late_delivered_event_never_overwrites_a_bounce(
    client, owner, resend_api, settings, django_capture_on_commit_callbacks
):
    settings.RESEND_WEBHOOK_SECRET = WEBHOOK_SECRET
    invite(client, django_capture_on_commit_callbacks)
    entry = EmailLog.objects.get(kind="invitation")
    assert Invitation.objects.get().sent_at is not None
    bounced = {
        "type": "email.bounced",
        "created_at": "2026-01-02T03:04:10.000Z",
        "data": {
            "email_id": entry.provider_message_id,
            "to": [entry.recipient],
            "bounce": {"type": "Permanent", "message": "mailbox does not exist"},
        },
    }
    delivered = {
        "type": "email.delivered",
        "created_at": "2026-01-02T03:04:05.000Z",
        "data": {"email_id": entry.provider_message_id, "to": [entry.recipient]},
    }

    resend_api.post_webhook(client, bounced)
    resend_api.post_webhook(client, delivered)  # sent earlier, arrived later

    entry.refresh_from_db()
    assert entry.event == EmailLog.Event.BOUNCED
    assert str(entry.event_at.isoformat()).startswith("2026-01-02T03:04:10")
    assert Invitation.objects.get().send_failed
    assert "The e-mail could not be sent." in client.get(ACME).content.decode()
