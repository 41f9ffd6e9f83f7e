"""Who may grant power in the admin: a help desk that can change users cannot make itself more."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from accounts.models import User, UserSession
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, AuthenticatorFactory, UserFactory
from twofactor.models import Authenticator

LOGIN = reverse("accounts:login")
CHANGELIST = reverse("admin:accounts_user_changelist")

pytestmark = pytest.mark.django_db


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def form_of(user, **changes) -> dict:
    data = {"email": user.email, "name": user.name, "is_active": "on", "_save": "Save"}
    return {**data, **changes}


def staff_with(client, *codenames, email="olive@example.com"):
    staff = UserFactory(staff=True, email=email)
    grant(staff, *codenames)
    client.force_login(staff)
    return staff


def sign_in(user) -> Client:
    browser = Client()
    assert browser.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})["Location"]
    return browser


def all_permission_ids() -> list[int]:
    return list(Permission.objects.values_list("pk", flat=True))


def test_a_help_desk_that_can_change_users_cannot_tick_superuser_or_grant_itself_anything(client):
    desk = staff_with(client, "view_user", "change_user")
    mia = UserFactory(email="mia@example.com")
    lure = {"is_staff": "on", "is_superuser": "on", "user_permissions": all_permission_ids()}

    page = client.get(change_url(mia)).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert client.post(change_url(mia), form_of(mia, name="Mia", **lure))["Location"] == CHANGELIST
    # Its own record is a staff account: out of its reach altogether.
    assert client.post(change_url(desk), form_of(desk, **lure)).status_code == 403

    mia.refresh_from_db()
    desk.refresh_from_db()
    assert mia.name == "Mia"  # what it may change, it changed
    assert not (mia.is_staff or mia.is_superuser or mia.user_permissions.exists())
    assert not desk.is_superuser
    assert sorted(desk.user_permissions.values_list("codename", flat=True)) == [
        "change_user",
        "view_user",
    ]
    assert client.get("/settings/email/").status_code == 403


def test_only_a_superuser_changes_a_superusers_address_or_password(client):
    staff_with(client, "view_user", "change_user")
    root = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    password_page = reverse("admin:auth_user_password_change", args=[root.pk])
    new = "a password the help desk chose 42"

    page = client.get(change_url(root))
    assert page.status_code == 200 and 'name="email"' not in page.content.decode()  # read-only
    assert (
        client.post(change_url(root), form_of(root, email="desk@evil.example")).status_code == 403
    )
    assert client.get(password_page).status_code == 403
    refused = client.post(
        password_page, {"password1": new, "password2": new, "usable_password": "true"}
    )
    assert refused.status_code == 403

    root.refresh_from_db()
    assert root.email == "root@example.com" and root.check_password(DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(action__in=["email_changed", "password_changed"]).exists()


def test_non_superusers_cannot_delete_a_superuser_or_another_staff_account(client):
    staff_with(client, "view_user", "change_user", "delete_user")
    root = UserFactory(is_staff=True, is_superuser=True)
    colleague = UserFactory(staff=True)

    delete_page = reverse("admin:accounts_user_delete", args=[root.pk])
    assert client.post(delete_page, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [colleague.pk], "post": "yes"}
    client.post(CHANGELIST, bulk)

    assert User.objects.filter(pk__in=[root.pk, colleague.pk]).count() == 2


def test_a_help_desk_with_view_and_reset_two_factor_lists_users_and_resets_but_edits_nothing(
    client, outbox
):
    desk = staff_with(client, "view_user", "reset_two_factor")
    mia = AuthenticatorFactory(user=UserFactory(email="mia@example.com")).user

    listing = client.get(CHANGELIST).content.decode()
    assert "mia@example.com" in listing and "Reset two-factor" in listing
    assert "End all sessions" not in listing
    done = client.post(
        CHANGELIST, {"action": "reset_two_factor", "_selected_action": [mia.pk]}, follow=True
    )
    assert "Two-factor reset for 1 user(s)" in done.content.decode()
    assert not Authenticator.objects.filter(user=mia).exists()
    event = AuditEvent.objects.get(action="two_factor_reset_by_staff")
    assert (event.actor, event.target_user) == (desk, mia)

    page = client.get(change_url(mia)).content.decode()
    assert 'name="email"' not in page and 'name="_save"' not in page
    assert client.post(change_url(mia), form_of(mia, email="mia@evil.example")).status_code == 403
    password_page = reverse("admin:auth_user_password_change", args=[mia.pk])
    assert client.get(password_page).status_code == 403
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"


def test_a_help_desk_with_end_sessions_signs_a_member_out_without_change_user(client):
    staff_with(client, "view_user", "end_sessions")
    mia = UserFactory(email="mia@example.com")
    laptop = sign_in(mia)

    listing = client.get(CHANGELIST).content.decode()
    assert "End all sessions" in listing and "Reset two-factor" not in listing
    client.post(CHANGELIST, {"action": "end_all_sessions", "_selected_action": [mia.pk]})

    assert laptop.get("/").status_code == 302
    assert not UserSession.objects.filter(user=mia).exists()


def test_help_desk_actions_refuse_a_superuser_or_staff_target_and_do_nothing(client):
    staff_with(client, "view_user", "reset_two_factor", "end_sessions")
    root = UserFactory(is_staff=True, is_superuser=True)
    mia = AuthenticatorFactory(user=UserFactory()).user
    roots_browser = sign_in(root)

    refused = client.post(
        CHANGELIST,
        {"action": "reset_two_factor", "_selected_action": [root.pk, mia.pk]},
        follow=True,
    )
    assert "only a superuser may act on staff or superuser accounts" in refused.content.decode()
    client.post(CHANGELIST, {"action": "end_all_sessions", "_selected_action": [root.pk]})

    assert Authenticator.objects.filter(user=mia).exists()  # the whole batch was refused
    assert not AuditEvent.objects.filter(action="two_factor_reset_by_staff").exists()
    assert UserSession.objects.filter(user=root).exists()
    assert roots_browser.get("/").status_code == 200


def test_a_superuser_grants_staff_groups_and_permissions_each_recorded(client):
    root = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client.force_login(root)
    desk = Group.objects.create(name="Help desk")
    mia = UserFactory(email="mia@example.com")
    reset = Permission.objects.get(codename="reset_two_factor")
    laptop = sign_in(mia)
    AuditEvent.objects.all().delete()

    data = form_of(mia, is_staff="on", groups=[desk.pk], user_permissions=[reset.pk])
    assert client.post(change_url(mia), data)["Location"] == CHANGELIST

    mia.refresh_from_db()
    assert mia.is_staff and mia.has_perm("accounts.reset_two_factor")
    events = {e.action: e for e in AuditEvent.objects.filter(target_user=mia)}
    assert events["staff_status_changed"].details == {"granted": True}
    assert events["groups_changed"].details == {"added": ["Help desk"]}
    assert events["permissions_changed"].details == {"added": ["accounts.reset_two_factor"]}
    assert all(e.actor == root for e in events.values())
    # The member's session does not carry over into staff power.
    assert events["session_ended"].details == {"ended": 1, "reason": "privileges_granted"}
    assert laptop.get("/").status_code == 302

    data = form_of(mia, is_staff="on", is_superuser="on")  # groups and permissions emptied
    client.post(change_url(mia), data)
    removed = AuditEvent.objects.filter(target_user=mia, details__has_key="removed")
    assert sorted((e.action, e.details["removed"][0]) for e in removed) == [
        ("groups_changed", "Help desk"),
        ("permissions_changed", "accounts.reset_two_factor"),
    ]
    assert AuditEvent.objects.get(action="superuser_status_changed").details == {"granted": True}


def test_grants_made_from_the_shell_are_recorded_too():
    mia = UserFactory(email="mia@example.com")
    desk = Group.objects.create(name="Help desk")
    AuditEvent.objects.all().delete()

    mia.is_superuser = True
    mia.save()
    desk.user_set.add(mia)
    desk.permissions.add(Permission.objects.get(codename="change_emailsettings"))
    mia.is_superuser = False
    mia.save(update_fields=["is_superuser"])
    mia.save(update_fields=["name"])  # no status change, nothing recorded
    mia.groups.clear()

    rows = AuditEvent.objects.order_by("pk")
    assert [(e.action, e.target, e.details, e.actor) for e in rows] == [
        ("superuser_status_changed", "mia@example.com", {"granted": True}, None),
        ("session_ended", "mia@example.com", {"ended": 0, "reason": "privileges_granted"}, None),
        ("groups_changed", "mia@example.com", {"added": ["Help desk"]}, None),
        (
            "permissions_changed",
            "group Help desk",
            {"added": ["emailing.change_emailsettings"]},
            None,
        ),
        ("superuser_status_changed", "mia@example.com", {"granted": False}, None),
        ("groups_changed", "mia@example.com", {"removed": ["Help desk"]}, None),
    ]


def test_only_a_superuser_changes_what_a_group_grants(client):
    staff_with(client, "view_group", "change_group", "add_group")
    desk = Group.objects.create(name="Help desk")
    everything = {"name": "Help desk", "permissions": all_permission_ids()}

    assert (
        client.post(reverse("admin:auth_group_change", args=[desk.pk]), everything).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:auth_group_add"), {**everything, "name": "Root"}).status_code
        == 403
    )
    assert not desk.permissions.exists() and not Group.objects.filter(name="Root").exists()
