"""Out of the box, mail is printed in the terminal that runs Hygate."""

import pytest
from django.urls import reverse

from emailing.models import EmailLog

pytestmark = pytest.mark.django_db


def test_sign_up_mail_is_printed_to_the_terminal(client, settings, capsys):
    settings.EMAIL_PROVIDER = "console"
    client.post(
        reverse("accounts:signup"),
        {"email": "dev@example.com", "password": "a long and unusual passphrase 42"},
    )
    out = capsys.readouterr().out
    assert "Subject: Your Hygate verification code" in out
    assert "To: dev@example.com" in out
    entry = EmailLog.objects.get()
    assert (entry.provider, entry.status) == ("console", "sent")
