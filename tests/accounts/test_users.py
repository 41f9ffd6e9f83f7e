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
    password = first.split("password:")[1].strip()
    assert User.objects.get(email="admin@example.com").check_password(password)

    call_command("ensure_dev_admin")
    assert capsys.readouterr().out == ""
    assert User.objects.filter(is_superuser=True).count() == 1
