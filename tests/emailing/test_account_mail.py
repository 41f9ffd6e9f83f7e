"""The account flows send through the configured provider (here Resend's API)."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from emailing.models import EmailLog
from tests.factories import UserFactory
from tests.fakes.resend_api import Failure

pytestmark = pytest.mark.django_db


def code_from(payload: dict) -> str:
    return re.search(r"^\s+(\d{6})\s*$", payload["text"], re.MULTILINE).group(1)


def test_a_newcomer_gets_the_code_through_resend(client, resend_api):
    client.post(
        reverse("accounts:signup"),
        {"email": "new@verified.example", "password": "a long and unusual passphrase 42"},
    )
    [delivered] = resend_api.delivered
    payload = delivered["payload"]
    assert payload["to"] == ["new@verified.example"]
    assert payload["subject"] == "Your Hygate verification code"
    assert "expires in 10 minutes" in payload["text"]
    assert "10 minutes" in payload["html"]

    response = client.post(reverse("accounts:verify"), {"code": code_from(payload)})
    assert response["Location"] == "/"
    assert User.objects.get().is_verified

    entry = EmailLog.objects.get()
    assert (entry.kind, entry.status, entry.provider) == ("verification", "sent", "resend")
    assert entry.provider_message_id == delivered["id"]
    assert code_from(payload) not in str(EmailLog.objects.values().get())


def test_a_failed_send_tells_the_newcomer_and_never_signs_in(client, resend_api):
    resend_api.fail_next(*[Failure(500) for _ in range(3)])
    response = client.post(
        reverse("accounts:signup"),
        {"email": "new@verified.example", "password": "a long and unusual passphrase 42"},
        follow=True,
    )
    assert "We could not send the e-mail" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert EmailLog.objects.get().error_code == "provider_error"


def test_password_reset_link_goes_through_resend(client, resend_api):
    user = UserFactory(email="member@verified.example")
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    [delivered] = resend_api.delivered
    assert "https://id.example.test/accounts/password/reset/" in delivered["payload"]["text"]
    entry = EmailLog.objects.get()
    assert entry.kind == "password_reset"
    assert "/accounts/password/reset/" not in str(EmailLog.objects.values().get())
