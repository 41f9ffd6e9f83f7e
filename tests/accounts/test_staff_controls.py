"""What staff do to other people's accounts: end their sessions, change address or password."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User, UserSession
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory

LOGIN = reverse("accounts:login")
CHANGELIST = reverse("admin:accounts_user_changelist")

pytestmark = pytest.mark.django_db


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
    )


def sign_in(user, ip="198.51.100.7") -> Client:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/"
    return client


def signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def operator(client):
    staff = UserFactory(staff=True, email="olive@example.com")
    grant(staff, "view_user", "change_user", "end_sessions")
    client.force_login(staff)
    return staff


def test_staff_end_every_session_of_a_user_from_the_admin(client, operator):
    mia = UserFactory(email="mia@example.com")
    laptop, phone = sign_in(mia), sign_in(mia, ip="203.0.113.9")
    bystander = sign_in(UserFactory())

    assert "End all sessions" in client.get(CHANGELIST).content.decode()
    response = client.post(
        CHANGELIST, {"action": "end_all_sessions", "_selected_action": [mia.pk]}, follow=True
    )

    assert "2 session(s) of 1 user(s) ended." in response.content.decode()
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(bystander)
    assert not UserSession.objects.filter(user=mia).exists()
    event = AuditEvent.objects.get(action="session_ended", target_user=mia)
    assert (event.actor, event.details) == (operator, {"ended": 2, "reason": "admin"})


def test_staff_without_the_end_sessions_permission_cannot_end_them(client):
    viewer = UserFactory(staff=True)
    grant(viewer, "view_user", "change_user")  # changing users is not ending their sessions
    client.force_login(viewer)
    mia = UserFactory()
    laptop = sign_in(mia)

    assert "End all sessions" not in client.get(CHANGELIST).content.decode()
    client.post(CHANGELIST, {"action": "end_all_sessions", "_selected_action": [mia.pk]})

    assert signed_in(laptop)


def test_end_sessions_from_the_shell_for_one_user_or_everyone(capsys):
    mia, tom = UserFactory(email="mia@example.com"), UserFactory(email="tom@example.com")
    mias, toms = sign_in(mia), sign_in(tom)

    call_command("end_sessions", "--user", "MIA@example.com")
    assert "Ended 1 session(s) of mia@example.com." in capsys.readouterr().out
    assert not signed_in(mias) and signed_in(toms)
    event = AuditEvent.objects.get(action="session_ended", target_user=mia)
    assert event.actor is None and event.details["reason"] == "command"

    call_command("end_sessions", "--all")
    assert "Ended 1 session(s) of 1 user(s)." in capsys.readouterr().out
    assert not signed_in(toms)
    with pytest.raises(CommandError, match="No account has the address"):
        call_command("end_sessions", "--user", "nobody@example.com")


def test_a_deactivated_user_is_signed_out_at_their_next_request(client, operator):
    mia = UserFactory(email="mia@example.com")
    laptop = sign_in(mia)
    change = reverse("admin:accounts_user_change", args=[mia.pk])
    data = {"email": mia.email, "name": mia.name, "_save": "Save"}  # is_active left unticked

    assert client.post(change, data)["Location"] == CHANGELIST
    assert not User.objects.get(pk=mia.pk).is_active

    assert laptop.get("/")["Location"] == "/accounts/login/?next=/"
    refused = Client().post(LOGIN, {"email": mia.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 400


def test_staff_changing_an_address_is_recorded_and_both_addresses_are_told(
    client, operator, outbox
):
    mia = UserFactory(email="mia@example.com")
    change = reverse("admin:accounts_user_change", args=[mia.pk])
    data = {"email": "mia@new.example", "name": mia.name, "is_active": "on", "_save": "Save"}

    assert client.post(change, data)["Location"] == CHANGELIST

    assert User.objects.get(pk=mia.pk).email == "mia@new.example"
    assert sorted(m.to[0] for m in outbox) == ["mia@example.com", "mia@new.example"]
    assert all("your e-mail address was changed" in m.subject for m in outbox)
    assert "An administrator changed the e-mail address" in outbox[0].body
    event = AuditEvent.objects.get(action="email_changed")
    assert (event.actor, event.target_user, event.details) == (operator, mia, {"by_staff": True})


def test_staff_setting_a_password_is_recorded_signs_the_user_out_and_tells_them(
    client, operator, outbox
):
    mia = UserFactory(email="mia@example.com")
    laptop = sign_in(mia)
    url = reverse("admin:auth_user_password_change", args=[mia.pk])
    new = "a password from the help desk 42"

    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})

    assert response.status_code == 302, response.content.decode()
    assert User.objects.get(pk=mia.pk).check_password(new)
    assert not signed_in(laptop)
    [notice] = outbox
    assert notice.to == ["mia@example.com"] and "your password was changed" in notice.subject
    event = AuditEvent.objects.get(action="password_changed")
    assert (event.actor, event.target_user, event.details["by_staff"]) == (operator, mia, True)


def test_a_refused_password_form_in_the_admin_records_nothing(client, operator, outbox):
    mia = UserFactory()
    url = reverse("admin:auth_user_password_change", args=[mia.pk])
    response = client.post(url, {"password1": "a", "password2": "b", "usable_password": "true"})
    assert response.status_code == 200
    assert not outbox and not AuditEvent.objects.filter(action="password_changed").exists()
