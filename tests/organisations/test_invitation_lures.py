"""An inviter cannot write a lure into the mail the site sends to strangers in its name."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from accounts.models import User
from organisations.models import Organisation, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LURES = [
    "IT Service Desk: restore your mailbox at https://evil.example/restore",
    "Visit www.evil-desk.com now",
    "Mailbox over quota, see evil-desk.co.uk",
    "Write to helpdesk@evil.example",
    "Call +44 20 7946 0958 today",
    "Support 0800-555-0199",
]
REFUSALS = {
    "https://": "web address",
    "www.": "web address",
    ".co.uk": "web address",
    "@": "e-mail address",
    "+44": "phone number",
    "0800": "phone number",
}


def _refusal_for(name: str) -> str:
    return next(words for marker, words in REFUSALS.items() if marker in name)


@pytest.fixture
def acme_owner(client):
    owner = UserFactory(email="ada@example.com", name="Ada Lovelace")
    MembershipFactory(
        user=owner, organisation__name="Acme", organisation__slug="acme", role=Role.OWNER
    )
    client.force_login(owner)
    return owner


def test_no_subject_of_any_mail_carries_text_a_user_typed():
    # The subjects may use what the code fills in (headlines, expiries), never a name.
    folder = Path(django_settings.BASE_DIR) / "templates" / "email"
    for subject in folder.glob("*.subject.txt"):
        variables = re.findall(r"{{(.*?)}}", subject.read_text())
        for typed in ("name", "organisation", "inviter", "email", "user"):
            assert not [v for v in variables if typed in v], f"{subject.name} shows {typed!r}"


def test_the_invitation_names_what_the_inviter_typed_as_such(client, acme_owner, outbox):
    client.post(
        "/orgs/acme/", {"action": "invite", "email": "grace@verified.example", "role": "member"}
    )

    [mail] = outbox
    assert (
        mail.subject == "You are invited to join an organisation on Hygate (link valid for 7 days)"
    )
    html = mail.alternatives[0][0]
    for body in (mail.body, html):
        assert "an organisation named" in body and "(name chosen by its members)" in body
        assert "Acme" in body and "Ada Lovelace" in body
        assert "the name they gave" in body


@pytest.mark.parametrize("name", LURES)
def test_an_organisation_name_with_contact_details_is_refused(client, acme_owner, name):
    response = client.post("/orgs/", {"action": "create", "name": name})

    assert response.status_code == 400
    assert _refusal_for(name) in response.content.decode()
    assert not Organisation.objects.filter(name=name).exists()


@pytest.mark.parametrize("name", LURES)
def test_a_display_name_with_contact_details_is_refused(client, name):
    mia = UserFactory(name="Mia")
    client.force_login(mia)

    response = client.post(reverse("accounts:profile"), {"name": name})

    assert response.status_code == 400
    assert _refusal_for(name) in response.content.decode()
    assert User.objects.get(pk=mia.pk).name == "Mia"


def test_sign_up_refuses_a_display_name_with_a_web_address(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.org",
            "name": "Desk at evil.example",
            "password": "x7!kq plover tusk",
        },
    )

    assert response.status_code == 400
    assert "web address" in response.content.decode()
    assert not User.objects.filter(email="new@example.org").exists()


@pytest.mark.parametrize(
    "name", ["Ada Lovelace", "Acme Ltd.", "J. R. R. Tolkien", "Team 42", "O'Brien & Sons"]
)
def test_ordinary_names_still_pass(client, acme_owner, name):
    response = client.post("/orgs/", {"action": "create", "name": name})

    assert response.status_code == 302
    assert Organisation.objects.filter(name=name).exists()


@pytest.mark.parametrize(
    "name",
    [
        "Restore at evil-desk\u3002com",  # IDEOGRAPHIC FULL STOP: a browser reads a dot
        "Restore at evil-desk\uff61com",  # HALFWIDTH IDEOGRAPHIC FULL STOP: the same
        "Restore at \u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",  # пример.рф
        "Restore at \u4f8b\u5b50.\u4e2d\u56fd",  # 例子.中国
        "Restore at b\u00fccher.de",
    ],
)
def test_a_web_address_with_look_alike_dots_or_a_non_latin_domain_is_refused(
    client, acme_owner, name
):
    response = client.post("/orgs/", {"action": "create", "name": name})

    assert response.status_code == 400
    assert "web address" in response.content.decode()
    assert not Organisation.objects.filter(name=name).exists()
