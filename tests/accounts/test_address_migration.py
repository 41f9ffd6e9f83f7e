"""Upgrading rewrites stored addresses in their canonical form, and never merges accounts."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from emailing.models import Suppression
from organisations.models import Invitation
from tests.factories import InvitationFactory, OrganisationFactory, UserFactory

users_migration = importlib.import_module("accounts.migrations.0009_canonical_email")
invitations_migration = importlib.import_module("organisations.migrations.0002_canonical_email")
suppressions_migration = importlib.import_module("emailing.migrations.0004_canonical_address")

pytestmark = pytest.mark.django_db


def store_as_typed(table: str, column: str, pk: int, address: str) -> None:
    """Write an address the way an older release stored it, bypassing today's canonical form."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [address, pk])  # noqa: S608


def stored(model, pk: int) -> str:
    return model.objects.values_list("email", flat=True).get(pk=pk)


def test_existing_addresses_are_rewritten_in_their_canonical_form(capsys):
    mia, rob, ada = UserFactory(), UserFactory(), UserFactory(email="ada@example.com")
    store_as_typed("accounts_user", "email", mia.pk, "Mia.New@Example.org")
    store_as_typed("accounts_user", "email", rob.pk, "rob@mıs.com")

    users_migration.canonicalise_users(apps, None)

    assert stored(User, mia.pk) == "mia.new@example.org"
    assert stored(User, rob.pk) == "rob@xn--ms-hpa.com"
    assert stored(User, ada.pk) == "ada@example.com"
    assert "2 user address(es) rewritten" in capsys.readouterr().out


def test_two_accounts_that_collapse_into_one_address_stop_the_upgrade_with_a_report():
    sam, squatter = UserFactory(email="sam@x.com"), UserFactory(unverified=True)
    store_as_typed("accounts_user", "email", squatter.pk, "ſam@x.com")

    with pytest.raises(CommandError) as stopped:
        users_migration.canonicalise_users(apps, None)

    report = str(stopped.value)
    assert "sam@x.com" in report
    assert f"#{sam.pk} sam@x.com (verified" in report
    assert f"#{squatter.pk} ſam@x.com (not verified" in report
    assert "run `manage.py migrate` again" in report
    assert stored(User, squatter.pk) == "ſam@x.com"  # nothing merged, nothing lost
    assert stored(User, sam.pk) == "sam@x.com"


def test_an_address_that_cannot_be_made_canonical_is_kept_and_reported(capsys):
    odd = UserFactory()
    store_as_typed("accounts_user", "email", odd.pk, "ıd@x.com")

    users_migration.canonicalise_users(apps, None)

    assert stored(User, odd.pk) == "ıd@x.com"
    out = capsys.readouterr().out
    assert f"#{odd.pk} ıd@x.com" in out and "cannot be made canonical" in out


def test_two_open_invitations_that_collapse_keep_the_newer_one(capsys):
    acme = OrganisationFactory(slug="acme")
    older = InvitationFactory(
        organisation=acme, email="sam@x.com", created_at=timezone.now() - timedelta(days=1)
    )
    newer = InvitationFactory(organisation=acme, email="someone@example.com")
    store_as_typed("organisations_invitation", "email", newer.pk, "ſAM@x.com")

    invitations_migration.canonicalise_invitations(apps, None)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.email == "sam@x.com" and newer.is_open
    assert older.revoked_at is not None
    assert f"invitation #{older.pk}" in capsys.readouterr().out
    assert Invitation.objects.open().count() == 1


def test_suppressed_spellings_of_one_address_become_one_entry():
    first = Suppression.objects.create(address="rob@mıs.com", reason="bounced")
    second = Suppression.objects.create(address="other@example.com", reason="complained")
    store_as_typed("emailing_suppression", "address", second.pk, "rob@xn--ms-hpa.com")
    store_as_typed("emailing_suppression", "address", first.pk, "rob@mıs.com")

    suppressions_migration.canonicalise_suppressions(apps, None)

    assert list(Suppression.objects.values_list("address", flat=True)) == ["rob@xn--ms-hpa.com"]
    assert Suppression.is_suppressed("ROB@mıs.com")
