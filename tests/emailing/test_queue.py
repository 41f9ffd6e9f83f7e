"""Under HYGATE_EMAIL_QUEUE=database, invitations wait in the database for `db_worker`."""

import io
from datetime import timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from core import crypto
from emailing import queue
from emailing.errors import EmailDeliveryError
from emailing.messages import send_message
from emailing.models import EmailLog, Suppression
from organisations.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.fakes.resend_api import Failure

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_queue(settings):
    settings.HYGATE_EMAIL_QUEUE = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.HYGATE_EMAIL_QUEUE_RETRY_DELAY = 1.0


def work() -> None:
    """Run the ready tasks as `db_worker --batch` does, inside the test's transaction.

    (The command itself closes the connection between tasks, which would end the test's
    transaction; tests/emailing/test_queue_workers.py runs the real command on PostgreSQL.)
    """
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    while (task_result := DBTaskResult.objects.ready().get_locked()) is not None:
        task_result.claim(worker.worker_id)
        worker.run_task(task_result)


def paste(client, django_capture_on_commit_callbacks, lines):
    ada = UserFactory(email="ada@example.com")
    MembershipFactory(user=ada, organisation__slug="acme", role=Role.OWNER)
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            "/orgs/acme/", {"action": "bulk_invite", "emails": "\n".join(lines), "role": "member"}
        )


def test_queued_invitations_wait_encrypted_then_a_worker_sends_them_in_one_batch(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    addresses = [f"p{n}@example.org" for n in range(5)]

    assert paste(client, django_capture_on_commit_callbacks, addresses).status_code == 200

    assert resend_api.requests == []
    assert DBTaskResult.objects.count() == 1
    entries = EmailLog.objects.filter(kind="invitation")
    assert set(entries.values_list("status", flat=True)) == {"queued"}
    payload = entries.first().payload
    assert payload and "invitations/" not in payload  # the link is encrypted at rest

    work()

    assert len(resend_api.batch_calls) == 1 and len(resend_api.delivered) == 5
    assert set(entries.values_list("status", flat=True)) == {"sent"}
    assert set(entries.values_list("payload", flat=True)) == {""}


def test_codes_still_leave_in_the_request_under_the_queue(resend_api, database_queue):
    delivery = send_message("verification_code", "grace@example.com", {"code": "123456"})

    assert delivery.sent and not delivery.queued
    assert len(resend_api.delivered) == 1 and not DBTaskResult.objects.exists()


def test_a_failing_provider_is_retried_later_with_the_same_key_and_sends_once(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org", "b@example.org"])
    # The first try is taken but its answer lost, the next two fail: the batch is deferred.
    resend_api.fail_next(Failure(drop=True, deliver_first=True), Failure(), Failure())

    work()

    entries = EmailLog.objects.filter(kind="invitation")
    assert set(entries.values_list("status", flat=True)) == {"queued"}
    assert all(e.next_attempt_at > timezone.now() for e in entries)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        work()

    assert set(entries.values_list("status", flat=True)) == {"sent"}
    assert len(resend_api.delivered) == 2  # the replay was answered from the provider's cache
    assert len({c["headers"]["idempotency-key"] for c in resend_api.batch_calls}) == 1


def test_a_queued_mail_is_failed_after_an_hour_of_retries(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org"])
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        resend_api.fail_next(Failure(), Failure(), Failure())
        work()

    entry = EmailLog.objects.get(kind="invitation")
    assert (entry.status, entry.error_code, entry.payload) == ("failed", "provider_error", "")


def test_a_mail_left_sending_by_a_dead_worker_is_picked_up_and_sent_once(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org", "b@example.org"])
    DBTaskResult.objects.all().delete()  # the worker died holding the task
    EmailLog.objects.filter(kind="invitation").update(
        status="sending", claimed_by="dead", updated_at=timezone.now() - timedelta(minutes=5)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert queue.requeue_abandoned() == 1
    work()

    assert set(EmailLog.objects.filter(kind="invitation").values_list("status", flat=True)) == {
        "sent"
    }
    assert len(resend_api.delivered) == 2


def test_queued_rows_waiting_for_a_worker_are_not_swept_as_interrupted(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    from emailing.delivery_log import fail_interrupted

    paste(client, django_capture_on_commit_callbacks, ["a@example.org"])
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        assert fail_interrupted() == 0

    assert EmailLog.objects.get(kind="invitation").status == "queued"


def test_a_suppressed_address_is_skipped_by_the_worker(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org", "b@example.org"])
    Suppression.objects.create(address="b@example.org", reason="bounced")

    work()

    assert EmailLog.objects.get(recipient="b@example.org").error_code == "suppressed"
    assert [d["payload"]["to"] for d in resend_api.delivered] == [["a@example.org"]]


def test_a_provider_asking_to_wait_ten_hours_fails_the_mail_instead_of_keeping_it(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org"])
    resend_api.fail_next(
        Failure(429, "rate_limit_exceeded", "Slow down.", headers={"retry-after": "36000"})
    )

    work()

    # Queued mail is retried for an hour, not kept (with its link) for as long as asked.
    entry = EmailLog.objects.get(kind="invitation")
    assert (entry.status, entry.error_code, entry.payload) == ("failed", "rate_limit_exceeded", "")


@pytest.mark.parametrize("retry_after", ["1e400", "inf", "1e300"])
def test_a_retry_after_too_big_for_a_clock_fails_the_mail_cleanly(
    client, resend_api, database_queue, django_capture_on_commit_callbacks, retry_after
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org"])
    slow_down = Failure(429, "rate_limit_exceeded", "Slow down.", {"retry-after": retry_after})
    resend_api.fail_next(slow_down, slow_down)

    work()
    code = send_message("verification_code", "grace@example.com", {"code": "123456"})

    entry = EmailLog.objects.get(kind="invitation")
    assert (entry.status, entry.error_code, entry.payload) == ("failed", "rate_limit_exceeded", "")
    assert not code.sent and code.error_code == "rate_limit_exceeded"


def test_a_payload_no_key_can_read_fails_its_own_mail_and_the_rest_of_the_batch_goes(
    client, resend_api, database_queue, django_capture_on_commit_callbacks, settings
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org", "b@example.org"])
    # Saved under a key since dropped from HYGATE_ENCRYPTION_KEY (rotation missed a row).
    with override_settings(HYGATE_ENCRYPTION_KEY=[Fernet.generate_key().decode()]):
        EmailLog.objects.filter(recipient="b@example.org").update(
            payload=crypto.encrypt('{"subject": "x"}')
        )

    work()

    lost = EmailLog.objects.get(recipient="b@example.org")
    assert (lost.status, lost.error_code, lost.payload) == ("failed", "unreadable_payload", "")
    assert EmailLog.objects.get(recipient="a@example.org").status == "sent"
    assert [d["payload"]["to"] for d in resend_api.delivered] == [["a@example.org"]]


def test_a_batch_abandoned_again_and_again_is_failed_once_its_hour_is_over(
    client, resend_api, database_queue, django_capture_on_commit_callbacks
):
    paste(client, django_capture_on_commit_callbacks, ["a@example.org"])
    DBTaskResult.objects.all().delete()
    # Each worker that took it died (say, killed for its memory): still "sending" 2 h on.
    EmailLog.objects.filter(kind="invitation").update(
        status="sending",
        claimed_by="dead",
        attempts=7,
        created_at=timezone.now() - timedelta(hours=2),
        updated_at=timezone.now() - timedelta(minutes=5),
    )

    with django_capture_on_commit_callbacks(execute=True):
        queue.requeue_abandoned()
    work()

    entry = EmailLog.objects.get(kind="invitation")
    assert (entry.status, entry.error_code, entry.payload) == ("failed", "interrupted", "")
    assert resend_api.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        assert queue.requeue_abandoned() == 0


def test_a_batch_deferred_during_a_key_rotation_keeps_the_rotated_payload(
    client, resend_api, database_queue, django_capture_on_commit_callbacks, settings
):
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.HYGATE_ENCRYPTION_KEY = [old]
    paste(client, django_capture_on_commit_callbacks, ["a@example.org"])
    (held,) = queue.claim(EmailLog.objects.get(kind="invitation").batch_key)  # a worker's run

    settings.HYGATE_ENCRYPTION_KEY = [new, old]
    call_command("rotate_encryption_key", stdout=io.StringIO())
    held.defer(EmailDeliveryError("provider_error", retryable=True))  # its send failed
    settings.HYGATE_ENCRYPTION_KEY = [new]  # the old key is dropped, as the README says
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        work()

    assert EmailLog.objects.get(kind="invitation").status == "sent"
    assert len(resend_api.delivered) == 1
