"""Moving the two-factor models out of accounts keeps their rows and the permissions granted."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import AuthenticatorFactory, SecurityPolicyFactory, UserFactory
from twofactor.models import Authenticator, SecurityPolicy


def migrate(*targets: tuple[str, str | None]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_the_policy_permission_granted_before_the_move_still_opens_settings_security():
    migrate(("accounts", "0009_canonical_email"))
    try:
        old = Permission.objects.get(
            content_type__app_label="accounts", codename="change_securitypolicy"
        )
        help_desk = Group.objects.create(name="Security admins")
        help_desk.permissions.add(old)
    finally:
        migrate(("accounts", "0010_two_factor_models_moved"), ("twofactor", "0002_content_types"))

    staff = UserFactory(is_staff=True)
    staff.groups.add(help_desk)
    assert staff.has_perm("twofactor.change_securitypolicy")
    assert not ContentType.objects.filter(app_label="accounts", model="securitypolicy").exists()


@pytest.mark.django_db
def test_the_rows_stay_in_their_tables():
    user = UserFactory()
    AuthenticatorFactory(user=user)
    SecurityPolicyFactory(two_factor_policy="either")

    assert Authenticator._meta.db_table == "accounts_authenticator"
    with connection.cursor() as cursor:
        cursor.execute("SELECT two_factor_policy FROM accounts_securitypolicy")
        assert cursor.fetchall() == [("either",)]
    assert SecurityPolicy.load().two_factor_policy == "either"
    assert user.authenticator.is_confirmed
