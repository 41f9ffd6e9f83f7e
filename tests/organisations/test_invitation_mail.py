"""The invitation e-mail goes out through the configured provider: Resend's API or SMTP."""

import pytest

from emailing.models import EmailLog
from organisations.models import Invitation, Role
from tests.factories import MembershipFactory, UserFactory
from tests.fakes.smtp_server import SMTP_PASSWORD, SMTP_USER

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_owner(client):
    owner = UserFactory(email="ada@example.com", name="Ada Lovelace")
    MembershipFactory(
        user=owner, organisation__name="Acme", organisation__slug="acme", role=Role.OWNER
    )
    client.force_login(owner)
    return owner


def invite_grace(client):
    return client.post(
        "/orgs/acme/", {"action": "invite", "email": "grace@verified.example", "role": "admin"}
    )


def test_the_invitation_goes_through_resend(client, acme_owner, resend_api):
    invite_grace(client)

    [delivered] = resend_api.delivered
    payload = delivered["payload"]
    assert payload["to"] == ["grace@verified.example"]
    assert payload["subject"] == (
        "You are invited to join an organisation on Hygate (link valid for 7 days)"
    )
    for part in (payload["text"], payload["html"]):
        assert "Acme" in part and "admin" in part and "7 days" in part
        assert "https://id.example.test/invitations/" in part
    entry = EmailLog.objects.get()
    assert (entry.kind, entry.status, entry.provider) == ("invitation", "sent", "resend")
    token = payload["text"].split("/invitations/")[1].split("/")[0]
    assert token not in str(EmailLog.objects.values().get())
    assert Invitation.objects.get().sent_at is not None


def test_the_invitation_goes_through_smtp(client, acme_owner, smtp_server, settings):
    settings.EMAIL_PROVIDER = "smtp"
    settings.SMTP_HOST = "127.0.0.1"
    settings.SMTP_PORT = smtp_server.port
    settings.SMTP_USERNAME = SMTP_USER
    settings.SMTP_PASSWORD = SMTP_PASSWORD
    settings.SMTP_SECURITY = "none"

    invite_grace(client)

    [received] = smtp_server.inbox.messages
    assert received["to"] == ["grace@verified.example"]
    message = received["message"]
    assert "Acme" not in message["Subject"]
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    for body in parts.values():
        assert "Acme" in body and "7 days" in body
        assert "https://id.example.test/invitations/" in body
    assert EmailLog.objects.get().provider == "smtp"
