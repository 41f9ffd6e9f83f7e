"""A member changes the name the site greets them by, under the rules of sign-up."""

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import UserFactory

PROFILE = reverse("accounts:profile")

pytestmark = pytest.mark.django_db


def test_a_member_changes_their_name_and_the_dashboard_greets_them_by_it(client):
    mia = UserFactory(name="Mia")
    client.force_login(mia)
    page = client.get(PROFILE).content.decode()
    assert '<label for="id_name">' in page and 'autocomplete="name"' in page
    assert f'href="{PROFILE}"' in client.get("/").content.decode()

    assert client.post(PROFILE, {"name": "Mia Lindqvist"})["Location"] == PROFILE

    assert User.objects.get(pk=mia.pk).name == "Mia Lindqvist"
    assert "Hello, Mia Lindqvist" in client.get("/").content.decode()
    assert AuditEvent.objects.get(action="profile_changed").details == {"fields": ["name"]}


@pytest.mark.parametrize("name", ["Mia\nClick https://evil.example", "Mia\u202eevil", "Mia\x07"])
def test_control_characters_are_refused_as_at_sign_up(client, name):
    mia = UserFactory(name="Mia")
    client.force_login(mia)

    response = client.post(PROFILE, {"name": name})

    assert response.status_code == 400
    assert "cannot contain line breaks or other control characters" in response.content.decode()
    assert User.objects.get(pk=mia.pk).name == "Mia"


def test_the_profile_is_for_signed_in_people_only(client):
    assert client.get(PROFILE)["Location"] == f"/accounts/login/?next={PROFILE}"
    assert client.post(PROFILE, {"name": "x"})["Location"].startswith("/accounts/login/")
