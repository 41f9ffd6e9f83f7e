"""Issue 15, attacked again after its fixes: the admin and the staff pages.

A help desk with one permission tries to grow; a session that never passed the app tries to
reach any staff page. Each test is an attack that held; it stays as a regression test.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import AuthenticatorFactory, UserFactory
from twofactor.models import Authenticator

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")


def desk(client, *codenames, email="desk@example.com"):
    staff = UserFactory(staff=True, email=email)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(staff)
    return staff


def all_permission_ids() -> list[int]:
    return list(Permission.objects.values_list("pk", flat=True))


def test_the_add_user_form_grants_nothing_whatever_is_posted(client):
    desk(client, "add_user", "change_user", "view_user")
    group = Group.objects.create(name="Everything")
    group.permissions.set(all_permission_ids())
    lure = {
        "email": "sock@example.com",
        "password1": "a long enough password 93",
        "password2": "a long enough password 93",
        "usable_password": "true",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [group.pk],
        "user_permissions": all_permission_ids(),
        "_save": "Save",
    }

    answer = client.post(reverse("admin:accounts_user_add"), lure)

    assert answer.status_code == 302
    sock = User.objects.get(email="sock@example.com")
    assert not (sock.is_staff or sock.is_superuser)
    assert not sock.groups.exists() and not sock.user_permissions.exists()


def test_a_help_desk_cannot_delete_a_superuser_hidden_in_a_bulk_delete(client):
    desk(client, "delete_user", "view_user")
    root = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    mia = UserFactory(email="mia@example.com")

    answer = client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [root.pk, mia.pk], "post": "yes"},
    )

    assert answer.status_code in (200, 403)
    assert User.objects.filter(pk__in=[root.pk, mia.pk]).count() == 2


@pytest.mark.parametrize(
    ("permission", "action"),
    [("reset_two_factor", "reset_two_factor"), ("end_sessions", "end_all_sessions")],
)
def test_a_help_desk_action_that_selects_itself_or_another_staff_member_does_nothing(
    client, permission, action
):
    me = desk(client, "view_user", permission)
    AuthenticatorFactory(user=me)
    colleague = UserFactory(staff=True, email="colleague@example.com")
    AuthenticatorFactory(user=colleague)
    mia = UserFactory(email="mia@example.com")
    AuthenticatorFactory(user=mia)

    answer = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [me.pk, colleague.pk, mia.pk]},
        follow=True,
    )

    assert "Nothing was done" in answer.content.decode()
    for user in (me, colleague, mia):
        assert Authenticator.objects.filter(user=user).exists()


def test_a_help_desk_with_every_group_permission_still_cannot_make_or_fill_a_group(client):
    desk(client, "add_group", "change_group", "delete_group", "view_group", "view_user")
    group = Group.objects.create(name="Desk")

    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    answer = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Desk", "permissions": all_permission_ids()},
    )
    assert answer.status_code == 403
    assert not group.permissions.exists()


def test_a_session_without_the_app_reaches_no_staff_page_or_secret(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    root = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    AuthenticatorFactory(user=root)
    client.force_login(root)  # a session that passed no second step
    mia = UserFactory(email="mia@example.com")
    user_type = ContentType.objects.get_for_model(User).pk
    pages = [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{mia.pk}/change/",
        f"/admin/accounts/user/{mia.pk}/history/",
        "/admin/accounts/user/add/",
        "/admin/auth/group/",
        "/admin/jsi18n/",
        f"/admin/r/{user_type}/{mia.pk}/",
        "/admin/autocomplete/?app_label=accounts&model_name=user&field_name=user",
        "/admin/emailing/suppression/",
        "/admin/audit/auditevent/",
        "/settings/email/",
        "/settings/security/",
        "/settings/audit/",
    ]
    for page in pages:
        answer = client.get(page)
        assert answer.status_code in (302, 403, 404), page
        assert "login" in answer.get("Location", "login"), page
    posts = {
        "/settings/email/": {"action": "save", "provider": "resend", "webhook_secret": "whsec_x"},
        "/settings/security/": {"two_factor_policy": "off"},
        "/admin/accounts/user/": {"action": "end_all_sessions", "_selected_action": [mia.pk]},
        f"/admin/accounts/user/{mia.pk}/change/": {"email": "x@evil.example", "_save": "1"},
    }
    for page, data in posts.items():
        assert client.post(page, data).status_code in (302, 403), page
    mia.refresh_from_db()
    assert mia.email == "mia@example.com"
    assert not AuditEvent.objects.filter(action__icontains="settings").exists()


@pytest.mark.parametrize("spelling", ["SAM@x.com", "ſam@x.com", "sam@X.COM", "sam@x.com\u200b"])
def test_the_admins_add_form_makes_no_second_account_for_another_spelling(client, spelling):
    UserFactory(email="sam@x.com")
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    password = "a long enough password 93"

    answer = client.post(
        reverse("admin:accounts_user_add"),
        {"email": spelling, "password1": password, "password2": password, "_save": "Save"},
    )

    assert answer.status_code == 200  # the form again, with its error
    assert list(User.objects.filter(email="sam@x.com").values_list("email", flat=True)) == [
        "sam@x.com"
    ]
    assert User.objects.count() == 2  # sam and root
