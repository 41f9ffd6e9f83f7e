"""Operators check and exercise the e-mail set-up from the command line."""

import pytest
from django.core.management import call_command

from tests.factories import EmailSettingsFactory
from tests.fakes.resend_api import FULL_KEY, OWNER, SENDING_KEY

pytestmark = pytest.mark.django_db


def status(capsys) -> str:
    call_command("email_status")
    return capsys.readouterr().out


def test_email_status_masks_the_key_and_checks_the_domain(resend_api, capsys):
    out = status(capsys)
    assert "Source:        environment" in out
    assert "Provider:      resend" in out
    assert f"From address:  Hygate <{OWNER}>" in out
    assert "re_...6789" in out
    assert FULL_KEY not in out
    assert "verified.example is verified" in out


def test_email_status_with_a_sending_only_key(resend_api, capsys, settings):
    settings.RESEND_API_KEY = SENDING_KEY
    assert "needs a full-access key" in status(capsys)


def test_email_status_shows_saved_smtp_settings_masked(capsys):
    EmailSettingsFactory(
        provider="smtp",
        smtp_host="smtp.resend.com",
        smtp_port=587,
        smtp_security="starttls",
        smtp_username="resend",
        password="re_smtp_relay_key_00004321",
    )
    out = status(capsys)
    assert "saved on Settings -> Email" in out
    assert "smtp.resend.com:587 (starttls)" in out
    assert "re_...4321" in out
    assert "re_smtp_relay_key_00004321" not in out


def test_sendtestemail_goes_through_the_configured_provider(resend_api):
    call_command("sendtestemail", "someone@verified.example")
    [delivered] = resend_api.delivered
    assert delivered["payload"]["to"] == ["someone@verified.example"]
    assert delivered["payload"]["from"] == f"Hygate <{OWNER}>"
