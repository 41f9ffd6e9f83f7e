"""Secrets are encrypted at rest, and keys can be rotated."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from core.crypto import SecretUnreadable, decrypt, encrypt
from emailing.models import EmailSettings
from tests.factories import EmailSettingsFactory

OLD = "PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8="


def test_a_secret_round_trips_and_is_not_readable_at_rest():
    token = encrypt("re_live_key_123456789")
    assert "re_live_key" not in token
    assert decrypt(token) == "re_live_key_123456789"
    assert encrypt("") == "" and decrypt("") == ""


def test_a_wrong_key_is_a_clear_error(settings):
    token = encrypt("re_live_key_123456789")
    settings.HYGATE_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable) as caught:
        decrypt(token)
    assert "was HYGATE_ENCRYPTION_KEY changed?" in str(caught.value)


@pytest.mark.django_db
def test_rotation_re_encrypts_with_the_first_key_so_old_keys_can_go(settings, capsys):
    EmailSettingsFactory(provider="smtp", smtp_host="smtp.example.com", password="smtp-secret-1234")
    EmailSettingsFactory(api_key="")  # same row (id=1): nothing new
    new = Fernet.generate_key().decode()
    settings.HYGATE_ENCRYPTION_KEY = [new, OLD]

    call_command("rotate_encryption_key")
    assert "Re-encrypted 1 stored secret(s)" in capsys.readouterr().out

    settings.HYGATE_ENCRYPTION_KEY = [new]
    assert EmailSettings.load().get_smtp_password() == "smtp-secret-1234"


@pytest.mark.django_db
def test_rotation_without_the_old_key_changes_nothing(settings):
    EmailSettingsFactory(api_key="re_live_key_123456789")
    before = EmailSettings.load().resend_api_key
    settings.HYGATE_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("rotate_encryption_key")
    assert EmailSettings.load().resend_api_key == before
