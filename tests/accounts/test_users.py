"""The user model: e-mail is the login, unique whatever its case."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_unique_whatever_its_case():
    UserFactory(email="Someone@Example.com")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="someone@example.com", password="x")


def test_createsuperuser_noinput_with_email_and_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "an operator passphrase 9")
    call_command("createsuperuser", "--noinput", "--email", "ops@example.com", verbosity=0)
    admin = User.objects.get(email="ops@example.com")
    assert admin.is_superuser and admin.is_staff
    assert admin.is_verified
    assert admin.check_password("an operator passphrase 9")


def test_development_admin_is_created_once_and_its_password_shown_once(capsys):
    call_command("ensure_dev_admin")
    first = capsys.readouterr().out
    assert "admin@example.com" in first
    password = first.split("password:")[1].split()[0]
    assert User.objects.get(email="admin@example.com").check_password(password)

    call_command("ensure_dev_admin")
    assert "password" not in capsys.readouterr().out
    assert User.objects.filter(is_superuser=True).count() == 1


def test_make_run_says_which_address_to_open_for_passkeys(capsys, settings):
    settings.HYGATE_SITE_URL = "http://localhost:8000"
    call_command("ensure_dev_admin")
    call_command("ensure_dev_admin")
    said = capsys.readouterr().out
    assert said.count("Open http://localhost:8000/ in your browser") == 2
    assert "passkeys" in said


def test_on_an_ip_address_make_run_says_passkeys_are_off(capsys, settings):
    settings.HYGATE_SITE_URL = "http://192.0.2.7:8000"
    call_command("ensure_dev_admin")
    assert "passkeys are not offered on an IP address" in capsys.readouterr().out
