"""Resend tells Hygate what became of each mail; a hard bounce stops later mail to the address."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from svix.webhooks import Webhook

from emailing.messages import send_message
from emailing.models import EmailLog, EmailSettings, Suppression
from tests.factories import EmailSettingsFactory, UserFactory
from tests.fakes.resend_api import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook_secret(settings):
    settings.RESEND_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


def sent_mail(resend_api, to="grace@example.com") -> EmailLog:
    delivery = send_message("security_notice", to, {"user": None, "event": "test"})
    assert delivery.sent
    return EmailLog.objects.get(provider_message_id=delivery.message_id)


def bounce(entry: EmailLog, kind="Permanent") -> dict:
    return {
        "type": "email.bounced",
        "created_at": "2026-01-02T03:04:05.000Z",
        "data": {
            "email_id": entry.provider_message_id,
            "to": [entry.recipient],
            "bounce": {"type": kind, "message": "mailbox does not exist"},
        },
    }


def test_a_signed_hard_bounce_marks_the_mail_and_the_next_mail_is_skipped(
    client, resend_api, webhook_secret
):
    entry = sent_mail(resend_api)

    response = resend_api.post_webhook(client, bounce(entry))

    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.event == EmailLog.Event.BOUNCED
    assert Suppression.objects.get(address="grace@example.com").reason == "bounced"
    calls = len(resend_api.requests)
    delivery = send_message("security_notice", "Grace@Example.com", {"user": None})
    assert not delivery.sent and delivery.error_code == "suppressed"
    assert len(resend_api.requests) == calls  # the provider was not asked
    skipped = EmailLog.objects.latest("id")
    assert (skipped.status, skipped.error_code) == ("failed", "suppressed")


def test_a_soft_bounce_or_a_delivery_only_updates_the_log(client, resend_api, webhook_secret):
    entry = sent_mail(resend_api)

    resend_api.post_webhook(client, bounce(entry, kind="Transient"))
    delivered = {"type": "email.delivered", "data": {"email_id": entry.provider_message_id}}
    resend_api.post_webhook(client, delivered)

    entry.refresh_from_db()
    assert entry.event == EmailLog.Event.DELIVERED
    assert not Suppression.objects.exists()


def test_a_complaint_suppresses_the_address(client, resend_api, webhook_secret):
    entry = sent_mail(resend_api)
    event = {
        "type": "email.complained",
        "data": {"email_id": entry.provider_message_id, "to": [entry.recipient]},
    }

    resend_api.post_webhook(client, event)

    assert Suppression.objects.get().reason == "complained"


def test_a_bad_signature_gets_400_and_changes_nothing(client, resend_api, webhook_secret):
    entry = sent_mail(resend_api)

    forged = resend_api.post_webhook(
        client, bounce(entry), secret="whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    )
    unsigned = client.post("/webhooks/resend/", bounce(entry), content_type="application/json")

    assert forged.status_code == 400 and unsigned.status_code == 400
    entry.refresh_from_db()
    assert entry.event == "" and not Suppression.objects.exists()


def test_an_event_signed_more_than_five_minutes_ago_is_refused(client, resend_api, webhook_secret):
    entry = sent_mail(resend_api)
    old = datetime.now(UTC) - timedelta(minutes=6)

    response = resend_api.post_webhook(client, bounce(entry), at=old)

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_a_replayed_event_is_ignored(client, resend_api, webhook_secret):
    entry = sent_mail(resend_api)
    resend_api.post_webhook(client, bounce(entry), msg_id="msg_1")
    Suppression.objects.all().delete()

    replay = resend_api.post_webhook(client, bounce(entry), msg_id="msg_1")

    assert replay.status_code == 200 and replay.json()["status"] == "ignored"
    assert not Suppression.objects.exists()


@pytest.fixture
def busy_suppression_table():
    """Make writes to the suppression list fail, as a busy or locked database does."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION hygate_busy() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'could not obtain lock' USING ERRCODE = '55P03'; "
                "END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER hygate_busy BEFORE INSERT ON emailing_suppression "
                "FOR EACH ROW EXECUTE FUNCTION hygate_busy()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER hygate_busy BEFORE INSERT ON emailing_suppression "
                "BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
            )

    def free() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER hygate_busy ON emailing_suppression")
                cursor.execute("DROP FUNCTION hygate_busy()")
            else:
                cursor.execute("DROP TRIGGER hygate_busy")

    return free


def test_a_bounce_whose_first_delivery_failed_is_applied_when_resend_retries_it(
    client, resend_api, webhook_secret, busy_suppression_table
):
    entry = sent_mail(resend_api)
    client.raise_request_exception = False  # answer 500, as the server would

    first = resend_api.post_webhook(client, bounce(entry), msg_id="msg_retried")
    assert first.status_code == 500
    assert not Suppression.objects.exists()

    busy_suppression_table()  # the database is free again when Resend retries
    retry = resend_api.post_webhook(client, bounce(entry), msg_id="msg_retried")

    assert retry.status_code == 200
    assert retry.json()["status"] == "ok"
    assert Suppression.objects.get(address="grace@example.com").reason == "bounced"
    entry.refresh_from_db()
    assert entry.event == EmailLog.Event.BOUNCED


def test_the_secret_saved_on_settings_is_used_encrypted_and_never_shown(client, resend_api):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    EmailSettingsFactory()

    page = client.post(
        "/settings/email/",
        {
            "action": "save",
            "provider": "resend",
            "from_email": "Hygate <owner@verified.example>",
            "resend_api_key": "re_full_access_key_123456789",
            "webhook_secret": WEBHOOK_SECRET,
        },
    )

    assert page.status_code == 302
    saved = EmailSettings.load()
    assert saved.webhook_secret and WEBHOOK_SECRET not in saved.webhook_secret
    assert saved.get_webhook_secret() == WEBHOOK_SECRET
    shown = client.get("/settings/email/").content.decode()
    assert WEBHOOK_SECRET not in shown and WEBHOOK_SECRET[-6:] not in shown
    entry = sent_mail(resend_api)
    client.logout()
    assert resend_api.post_webhook(client, bounce(entry)).status_code == 200
    assert Suppression.objects.exists()


def test_a_webhook_secret_must_look_like_one(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    page = client.post(
        "/settings/email/",
        {
            "action": "save",
            "provider": "smtp",
            "from_email": "id@example.com",
            "smtp_host": "127.0.0.1",
            "webhook_secret": "not-a-secret",
        },
    )

    assert page.status_code == 400
    assert "starts with whsec_" in page.content.decode()


def test_staff_see_the_suppression_list_and_lift_an_entry(client):
    Suppression.objects.create(address="grace@example.com", reason="bounced")
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_emailsettings"),
    )
    client.force_login(viewer)
    page = client.get("/settings/email/").content.decode()
    assert "grace@example.com" in page and "Lift</button>" not in page
    suppression = Suppression.objects.get()
    assert client.post(f"/settings/email/suppressions/{suppression.pk}/lift/").status_code == 403

    viewer.user_permissions.add(Permission.objects.get(codename="change_suppression"))
    client.force_login(viewer)
    page = client.get("/settings/email/").content.decode()
    assert "Lift</button>" in page
    response = client.post(f"/settings/email/suppressions/{suppression.pk}/lift/")

    assert response.status_code == 302
    assert not Suppression.objects.exists()


def test_a_sign_in_code_to_a_suppressed_address_says_it_could_not_be_sent(client, resend_api):
    Suppression.objects.create(address="grace@example.com", reason="bounced")

    response = client.post(
        "/accounts/signup/",
        {"email": "grace@example.com", "password": "a long and unusual passphrase 42"},
        follow=True,
    )

    assert EmailLog.objects.get(recipient="grace@example.com").error_code == "suppressed"
    assert "could not send the e-mail" in response.content.decode()


def test_a_bounce_for_a_mail_we_never_sent_suppresses_nobody(client, resend_api, webhook_secret):
    # The Resend account may send for other applications too; their events reach us signed.
    UserFactory(email="grace@example.com")
    event = {
        "type": "email.bounced",
        "data": {
            "email_id": "not-one-of-ours",
            "to": ["grace@example.com"],
            "bounce": {"type": "Permanent", "message": "mailbox does not exist"},
        },
    }

    response = resend_api.post_webhook(client, event)

    assert response.status_code == 200
    assert not Suppression.objects.exists()
    assert send_message("security_notice", "grace@example.com", {"user": None}).sent


def test_a_bounce_suppresses_only_the_address_our_mail_went_to(client, resend_api, webhook_secret):
    entry = sent_mail(resend_api, to="ada@example.com")
    event = bounce(entry)
    event["data"]["to"] = ["ada@example.com", "grace@example.com"]

    resend_api.post_webhook(client, event)

    assert list(Suppression.objects.values_list("address", flat=True)) == ["ada@example.com"]


def test_a_signed_event_with_the_unbranded_headers_or_an_odd_shape_never_errors(
    client, resend_api, webhook_secret
):
    entry = sent_mail(resend_api)
    body = json.dumps(bounce(entry))
    at = datetime.now(UTC)
    signature = Webhook(WEBHOOK_SECRET).sign("msg_plain", at, body)
    unbranded = client.post(
        "/webhooks/resend/",
        body,
        content_type="application/json",
        headers={
            "webhook-id": "msg_plain",
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        },
    )
    odd = [
        resend_api.post_webhook(client, {"type": "email.bounced", "data": ["x"]}),
        resend_api.post_webhook(client, {"type": "email.bounced", "data": {"email_id": 7}}),
        resend_api.post_webhook(
            client,
            {
                "type": "email.delivered",
                "created_at": "2026-13-45T99:00:00Z",
                "data": {"email_id": "x"},
            },
        ),
    ]

    assert unbranded.status_code == 200
    assert [r.status_code for r in odd] == [200, 200, 200]
