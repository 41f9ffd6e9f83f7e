"""The Django admin as people meet it: Hygate's name and logo, links to the settings pages,
and a clear answer for a signed-in account that may not open it."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SETTINGS_LINKS = ("/settings/email/", "/settings/security/", "/settings/audit/")


def test_a_signed_in_member_who_opens_the_admin_is_told_this_account_has_no_access(client):
    client.force_login(UserFactory(email="member@example.com"))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    content = response.content.decode()
    assert "This account has no access to the administration" in content
    assert "member@example.com" in content
    assert 'href="/"' in content  # the way back to the dashboard
    assert 'name="password"' not in content  # no sign-in form again, no loop
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_staff_without_the_app_session_still_go_to_the_app_required_page(client, settings):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    client.force_login(UserFactory(staff=True, is_superuser=True))

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/app-required/")
    assert response.status_code == 200


def test_a_signed_out_visitor_is_still_sent_to_sign_in(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/admin/"


def test_the_admin_index_links_the_settings_pages_a_superuser_may_open(client):
    client.force_login(UserFactory(staff=True, is_superuser=True))

    content = client.get("/admin/").content.decode()

    for link in SETTINGS_LINKS:
        assert f'href="{link}"' in content
    assert "Settings → E-mail" in content and "Audit log" in content


def test_the_admin_index_links_only_the_settings_pages_staff_may_read(client):
    staff = UserFactory(staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client.force_login(staff)

    content = client.get("/admin/").content.decode()

    assert 'href="/settings/audit/"' in content
    assert 'href="/settings/email/"' not in content
    assert 'href="/settings/security/"' not in content


def test_the_admin_header_carries_hygates_name_and_logo(client):
    client.force_login(UserFactory(staff=True, is_superuser=True))

    content = client.get("/admin/").content.decode()

    assert "<title>Site administration | Hygate administration</title>" in content
    assert 'class="admin-logo"' in content and "<svg" in content
    assert "Django administration" not in content
