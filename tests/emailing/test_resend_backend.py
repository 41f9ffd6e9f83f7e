"""Mail goes out through Resend's HTTP API, and every failure says what it is."""

import logging
import threading

import pytest
import resend
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from emailing.backends.base import retry_delay
from emailing.backends.resend import ResendBackend, build_payload, call_resend
from emailing.errors import EmailDeliveryError
from emailing.messages import send_message
from emailing.models import EmailLog
from tests.fakes.resend_api import FULL_KEY, OWNER, SENDING_KEY, Failure

pytestmark = pytest.mark.django_db


def backend(resend_api, key=FULL_KEY):
    return ResendBackend(api_key=key, api_url=resend_api.url)


def message(to=("someone@example.com",), sender=f"Hygate <{OWNER}>", **kwargs):
    msg = EmailMultiAlternatives("Hello", "plain body", sender, list(to), **kwargs)
    msg.attach_alternative("<p>html body</p>", "text/html")
    return msg


def test_a_message_is_mapped_fully(resend_api):
    msg = message(
        cc=["cc@example.com"],
        bcc=["bcc@example.com"],
        reply_to=["Help <help@verified.example>"],
        headers={"X-Campaign": "welcome"},
    )
    msg.attach("notes.txt", "some notes", "text/plain")
    msg.tags = [{"name": "purpose", "value": "test"}]

    assert backend(resend_api).send_messages([msg]) == 1

    [delivery] = resend_api.delivered
    payload = delivery["payload"]
    assert payload["from"] == f"Hygate <{OWNER}>"
    assert payload["to"] == ["someone@example.com"]
    assert payload["cc"] == ["cc@example.com"]
    assert payload["bcc"] == ["bcc@example.com"]
    assert payload["reply_to"] == ["Help <help@verified.example>"]
    assert payload["subject"] == "Hello"
    assert payload["text"] == "plain body"
    assert payload["html"] == "<p>html body</p>"
    assert payload["headers"] == {"X-Campaign": "welcome"}
    assert payload["attachments"] == [
        {"filename": "notes.txt", "content": "c29tZSBub3Rlcw==", "content_type": "text/plain"}
    ]
    assert {"name": "purpose", "value": "test"} in payload["tags"]
    assert delivery["idempotency_key"].startswith("hygate-")

    entry = EmailLog.objects.get()
    assert entry.status == EmailLog.Status.SENT
    assert entry.provider == "resend"
    assert entry.provider_message_id == delivery["id"]
    assert entry.attempts == 1


def test_the_key_travels_only_in_the_authorization_header(resend_api):
    backend(resend_api).send_messages([message()])
    [request] = resend_api.requests
    assert request["headers"]["authorization"] == f"Bearer {FULL_KEY}"
    assert FULL_KEY.encode() not in request["body"]


@pytest.mark.parametrize(
    ("key", "sender", "to", "code"),
    [
        ("", f"Hygate <{OWNER}>", "someone@example.com", "missing_api_key"),
        ("re_not_a_real_key_000000", f"Hygate <{OWNER}>", "someone@example.com", "invalid_api_key"),
        (FULL_KEY, "Hygate <id@unverified.example>", "someone@example.com", "domain_not_verified"),
        (FULL_KEY, "onboarding@resend.dev", "stranger@example.com", "domain_not_verified"),
        (FULL_KEY, "not an address", "someone@example.com", "invalid_from_address"),
    ],
)
def test_each_refusal_becomes_one_hygate_code(resend_api, key, sender, to, code):
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api, key).send_messages([message(to=[to], sender=sender)])
    assert caught.value.code == code
    entry = EmailLog.objects.get()
    assert entry.status == EmailLog.Status.FAILED
    assert entry.error_code == code
    assert entry.attempts == 1
    assert resend_api.delivered == []


def test_the_shared_sender_has_its_own_advice(resend_api):
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api).send_messages(
            [message(to=["stranger@example.com"], sender="onboarding@resend.dev")]
        )
    assert caught.value.code == "domain_not_verified"
    assert "onboarding@resend.dev delivers only" in caught.value.advice
    assert "testing emails to your own email address" in caught.value.provider_message


def test_the_shared_sender_reaches_the_account_owner(resend_api):
    backend(resend_api).send_messages([message(to=[OWNER], sender="onboarding@resend.dev")])
    assert len(resend_api.delivered) == 1


def test_a_sending_only_key_sends(resend_api):
    assert backend(resend_api, SENDING_KEY).send_messages([message()]) == 1


@pytest.mark.parametrize(
    "failure",
    [
        Failure(429, "rate_limit_exceeded", "Too many requests.", {"retry-after": "1"}),
        Failure(500, "internal_server_error", "An unexpected error occurred."),
        Failure(503, "application_error", "Service unavailable"),
        Failure(sleep=1.0),  # longer than the 0.5 s client timeout
        Failure(drop=True),
    ],
    ids=["429", "500", "503", "timeout", "dropped"],
)
def test_transient_failures_are_retried_and_deliver_once(resend_api, failure, settings):
    settings.HYGATE_EMAIL_RETRY_MAX_DELAY = 1  # the 429 asks for 1 s, which is waited
    resend_api.fail_next(failure)
    assert backend(resend_api).send_messages([message()]) == 1
    assert len(resend_api.delivered) == 1
    entry = EmailLog.objects.get()
    assert entry.status == EmailLog.Status.SENT
    assert entry.attempts == 2
    keys = {r["headers"].get("idempotency-key") for r in resend_api.requests}
    assert len(keys) == 1


@pytest.mark.parametrize(
    "failure",
    [Failure(sleep=1.0, deliver_first=True), Failure(drop=True, deliver_first=True)],
    ids=["answer-too-late", "hang-up-after-taking-it"],
)
def test_a_message_resend_took_before_failing_is_delivered_once(resend_api, failure):
    # Resend takes the message, but its answer never arrives; the retry reuses the key.
    resend_api.fail_next(failure)
    assert backend(resend_api).send_messages([message()]) == 1

    assert len(resend_api.requests) == 2
    assert len({r["headers"]["idempotency-key"] for r in resend_api.requests}) == 1
    [delivered] = resend_api.delivered
    entry = EmailLog.objects.get()
    assert entry.attempts == 2
    assert entry.provider_message_id == delivered["id"]


def test_the_same_idempotency_key_never_delivers_twice(resend_api):
    msg = message()
    entry = EmailLog.objects.create(kind="test", recipient="someone@example.com", subject="x")
    msg.delivery_log = entry
    backend(resend_api).send_messages([msg])
    msg2 = message()
    entry.refresh_from_db()
    entry.status = EmailLog.Status.QUEUED
    msg2.delivery_log = entry
    backend(resend_api).send_messages([msg2])
    assert len(resend_api.delivered) == 1


def test_retries_are_bounded(resend_api):
    resend_api.fail_next(*[Failure(500) for _ in range(5)])
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api).send_messages([message()])
    assert caught.value.code == "provider_error"
    assert EmailLog.objects.get().attempts == 3
    assert resend_api.delivered == []


@pytest.mark.parametrize(
    ("name", "code"),
    [("daily_quota_exceeded", "quota_exceeded"), ("monthly_quota_exceeded", "quota_exceeded")],
)
def test_quota_is_not_retried(resend_api, name, code):
    resend_api.fail_next(Failure(429, name, "You have reached your daily email sending quota."))
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api).send_messages([message()])
    assert caught.value.code == code
    assert EmailLog.objects.get().attempts == 1


def test_rate_limit_that_persists_is_reported(resend_api):
    resend_api.fail_next(
        *[Failure(429, "rate_limit_exceeded", "Too many requests.") for _ in range(3)]
    )
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api).send_messages([message()])
    assert caught.value.code == "rate_limit_exceeded"


def test_unprocessable_request_is_a_provider_error(resend_api):
    resend_api.fail_next(Failure(422, "validation_error", "The `to` field must be an array."))
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api).send_messages([message()])
    assert caught.value.code == "provider_error"
    assert "`to` field" in caught.value.provider_message
    assert EmailLog.objects.get().attempts == 1


def test_unreachable_api_is_connection_failed(resend_api):
    unreachable = ResendBackend(api_key=FULL_KEY, api_url="http://127.0.0.1:9")
    with pytest.raises(EmailDeliveryError) as caught:
        unreachable.send_messages([message()])
    assert caught.value.code == "connection_failed"
    assert EmailLog.objects.get().attempts == 3


def test_backoff_doubles_up_to_the_cap(settings):
    settings.HYGATE_EMAIL_RETRY_MAX_DELAY = 5
    settings.HYGATE_EMAIL_RETRY_BASE_DELAY = 0.5
    assert retry_delay(EmailDeliveryError("rate_limit_exceeded", retry_after=2), 1) == 2
    assert retry_delay(EmailDeliveryError("provider_error"), 1) == 0.5
    assert retry_delay(EmailDeliveryError("provider_error"), 2) == 1.0
    assert retry_delay(EmailDeliveryError("provider_error"), 9) == 5


def test_a_long_retry_after_is_respected_not_shortened(resend_api, settings):
    """Resend says "come back in a minute": Hygate stops at once and says so."""
    settings.HYGATE_EMAIL_RETRY_MAX_DELAY = 5
    resend_api.fail_next(
        Failure(429, "rate_limit_exceeded", "Too many requests.", {"retry-after": "60"})
    )
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api).send_messages([message()])

    assert caught.value.code == "rate_limit_exceeded"
    assert "wait 60 s" in caught.value.provider_message
    assert len(resend_api.requests) == 1  # not retried early, against the provider's wish
    entry = EmailLog.objects.get()
    assert entry.status == "failed"
    assert entry.attempts == 1
    assert "wait 60 s" in entry.error_message


def test_a_retry_after_beyond_the_send_deadline_stops_at_once(resend_api, settings):
    settings.HYGATE_EMAIL_RETRY_MAX_DELAY = 5
    settings.HYGATE_EMAIL_SEND_DEADLINE = 2
    resend_api.fail_next(
        Failure(429, "rate_limit_exceeded", "Too many requests.", {"retry-after": "3"})
    )
    with pytest.raises(EmailDeliveryError) as caught:
        backend(resend_api).send_messages([message()])
    assert caught.value.code == "rate_limit_exceeded"
    assert "wait 3 s" in caught.value.provider_message
    assert len(resend_api.requests) == 1


def test_two_threads_with_different_keys_never_cross(resend_api):
    """The SDK keeps its key in a module global; each of our sends carries its own."""
    second = "re_second_account_key_55555"
    resend_api.account.keys[second] = "full"
    barrier = threading.Barrier(2)
    errors = []

    def send_many(key: str) -> None:
        barrier.wait()
        try:
            for _ in range(20):
                payload = build_payload(message(to=[f"{key[:9]}@example.com"]))
                call_resend(key, resend_api.url, resend.Emails.send, payload)
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=send_many, args=(key,)) for key in (FULL_KEY, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    posts = [r for r in resend_api.requests if r["method"] == "POST"]
    assert len(posts) == 40
    for request in posts:
        key = request["headers"]["authorization"].removeprefix("Bearer ")
        assert f'"{key[:9]}@example.com"'.encode() in request["body"]


def test_a_send_logs_one_info_line_without_secrets(resend_api, caplog):
    caplog.set_level(logging.INFO, logger="hygate")
    backend(resend_api).send_messages([message()])
    lines = [r for r in caplog.records if r.name == "hygate.emailing"]
    assert len(lines) == 1
    assert lines[0].levelname == "INFO"
    assert "[EmailService] Email sent successfully" in lines[0].getMessage()
    assert resend_api.delivered[0]["id"] in lines[0].getMessage()
    assert FULL_KEY not in caplog.text


def test_a_failure_logs_one_warning_with_the_code(resend_api, caplog):
    caplog.set_level(logging.INFO, logger="hygate")
    with pytest.raises(EmailDeliveryError):
        backend(resend_api, "re_not_a_real_key_000000").send_messages([message()])
    lines = [r for r in caplog.records if r.name == "hygate.emailing"]
    assert [r.levelname for r in lines] == ["WARNING"]
    assert "invalid_api_key" in lines[0].getMessage()
    assert "re_not_a_real_key_000000" not in caplog.text


def test_the_configured_backend_uses_the_environment(resend_api):
    delivery = send_message(
        "verification_code", "someone@example.com", {"code": "123456", "expires_minutes": 15}
    )
    assert delivery.sent
    [sent] = resend_api.delivered
    assert sent["payload"]["from"] == f"Hygate <{OWNER}>"
    assert {"name": "hygate_kind", "value": "verification"} in sent["payload"]["tags"]
    entry = EmailLog.objects.get()
    assert entry.kind == "verification"
    assert "123456" not in entry.subject
    assert mail.outbox == []


def test_a_trailing_slash_in_the_api_url_still_reaches_emails(resend_api, monkeypatch):
    # The SDK reads RESEND_API_URL from the environment itself, slash and all.
    monkeypatch.setattr(resend, "api_url", "https://api.resend.com/")
    slashed = ResendBackend(api_key=FULL_KEY, api_url=resend_api.url + "/")
    assert slashed.send_messages([message()]) == 1
    assert [r["path"] for r in resend_api.requests] == ["/emails"]


def test_a_url_outside_the_sdk_base_is_never_requested(resend_api):
    """Whatever URL the SDK builds, the key travels only to the configured API."""
    from emailing.backends.resend import OutsideAPIBase, ResendHTTPClient, resend_credentials

    stray = f"{resend_api.url}/emails"  # not under resend.api_url, the SDK's own base
    with resend_credentials(FULL_KEY, resend_api.url), pytest.raises(OutsideAPIBase):
        ResendHTTPClient().request("POST", stray, {"Authorization": "Bearer x"}, json={})
    assert resend_api.requests == []
