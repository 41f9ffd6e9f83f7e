"""The dashboard greets the signed-in user and points staff to the settings."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_sees_who_they_are_and_no_staff_links(client):
    user = UserFactory(name="Grace Hopper")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert user.email in page
    assert "Grace Hopper" in page
    assert "/settings/email/" not in page


def test_staff_see_the_way_to_the_settings_they_may_read(client):
    staff = UserFactory(staff=True)
    client.force_login(staff)
    page = client.get("/").content.decode()
    assert "/settings/email/" not in page
    assert "/admin/" in page

    staff.user_permissions.add(Permission.objects.get(codename="view_emailsettings"))
    page = client.get("/").content.decode()
    assert "/settings/email/" in page


def test_the_admin_sign_in_is_hygates_sign_in(client):
    response = client.get("/admin/login/?next=/admin/emailing/emaillog/")
    assert response["Location"] == "/accounts/login/?next=/admin/emailing/emaillog/"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    evil = client.get("/admin/login/?next=https://evil.example/")
    assert evil["Location"] == "/accounts/login/?next=/admin/"
