"""A member adds a passkey on the security page, names it, renames and removes it.

Every answer comes from the software authenticator in tests/passkey_authenticator.py and
is checked by the real `webauthn` library on the server.
"""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.passkey_authenticator import AT, UP, SoftAuthenticator
from twofactor.models import Passkey

SECURITY = reverse("accounts:security")
PASSWORD = reverse("accounts:security_reauthenticate")
ADD = reverse("accounts:security_passkey_add")
OPTIONS = reverse("accounts:security_passkey_options")

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = UserFactory(name="Mia Member")
    client.force_login(user)
    return user


@pytest.fixture
def stepped_up(client, member):
    response = client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})
    assert response.status_code == 302
    return member


def add_passkey(client, authenticator, name="Work laptop", **bend):
    options = client.post(OPTIONS)
    assert options.status_code == 200
    answer = authenticator.create(options.content.decode(), **bend)
    return client.post(ADD, {"name": name, "credential": answer})


def test_adding_a_passkey_needs_the_step_up_first(client, member):
    assert client.get(ADD)["Location"].startswith(f"{PASSWORD}?next=")
    assert client.post(OPTIONS)["Location"].startswith(PASSWORD)
    assert not Passkey.objects.exists()


def test_a_member_adds_a_named_passkey_and_sees_it_listed(client, stepped_up, outbox):
    authenticator = SoftAuthenticator()
    page = client.get(ADD)
    assert page.status_code == 200
    assert b'data-passkey="add"' in page.content

    response = add_passkey(client, authenticator)

    assert response.status_code == 302 and response["Location"] == SECURITY
    passkey = Passkey.objects.get()
    assert passkey.user == stepped_up and passkey.name == "Work laptop"
    assert passkey.backup_eligible and passkey.backed_up
    assert passkey.transports == ["hybrid", "internal"]
    assert passkey.aaguid == "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
    assert passkey.sign_count == 0 and passkey.last_used_at is None
    page = client.get(SECURITY).content.decode()
    assert "Work laptop" in page and "not used yet" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSKEY_ADDED).count() == 1
    (notice,) = outbox
    assert "passkey" in notice.subject.lower() and "Work laptop" in notice.body
    assert "/accounts/security/passkeys/undo/" in notice.body


def test_the_options_ask_for_a_verified_user_and_a_discoverable_key(client, stepped_up):
    options = json.loads(client.post(OPTIONS).content)
    assert options["rp"] == {"id": "id.example.test", "name": "Hygate"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert stepped_up.email not in options["user"]["id"]
    assert options["user"]["name"] == stepped_up.email


def test_a_passkey_made_for_another_origin_or_site_is_refused(client, stepped_up, outbox):
    authenticator = SoftAuthenticator()
    assert add_passkey(client, authenticator, origin="https://evil.example").status_code == 400
    assert add_passkey(client, authenticator, rp_id="evil.example").status_code == 400
    assert not Passkey.objects.exists() and not outbox


def test_a_passkey_without_user_verification_is_refused(client, stepped_up):
    response = add_passkey(client, SoftAuthenticator(), flags=UP | AT)
    assert response.status_code == 400
    assert not Passkey.objects.exists()


def test_a_registration_challenge_works_once(client, stepped_up):
    authenticator = SoftAuthenticator()
    options = client.post(OPTIONS).content.decode()
    answer = authenticator.create(options)
    assert client.post(ADD, {"name": "One", "credential": answer}).status_code == 302
    again = client.post(ADD, {"name": "Two", "credential": authenticator.create(options)})
    assert again.status_code == 400
    assert "timed out or was already used" in again.content.decode()
    assert Passkey.objects.count() == 1


def test_a_stale_registration_challenge_is_refused(client, stepped_up):
    options = client.post(OPTIONS).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=4, seconds=50)):
        client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})
        response = client.post(
            ADD, {"name": "Late", "credential": SoftAuthenticator().create(options)}
        )
    assert response.status_code == 400
    assert not Passkey.objects.exists()


def test_without_a_script_the_form_says_no_passkey_was_made(client, stepped_up):
    response = client.post(ADD, {"name": "Phone", "credential": ""})
    assert response.status_code == 400
    assert "did not create a passkey" in response.content.decode()


def test_a_member_renames_and_removes_a_passkey(client, stepped_up, outbox):
    add_passkey(client, SoftAuthenticator())
    passkey = Passkey.objects.get()
    rename = reverse("accounts:security_passkey_rename", args=[passkey.pk])
    remove = reverse("accounts:security_passkey_remove", args=[passkey.pk])

    assert client.get(rename).status_code == 200
    assert client.post(rename, {"name": ""}).status_code == 400
    assert client.post(rename, {"name": "Old laptop"})["Location"] == SECURITY
    passkey.refresh_from_db()
    assert passkey.name == "Old laptop"

    outbox.clear()
    assert "Old laptop" in client.get(remove).content.decode()
    assert client.post(remove)["Location"] == SECURITY
    assert not Passkey.objects.exists()
    (notice,) = outbox
    assert "removed" in notice.subject and "Old laptop" in notice.body
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"passkey_added", "passkey_renamed", "passkey_removed"} <= actions


def test_nobody_renames_or_removes_another_members_passkey(client, stepped_up):
    other = Passkey.objects.create(
        user=UserFactory(), name="Theirs", credential_id=b"x" * 16, public_key=b"k"
    )
    for name in ("security_passkey_rename", "security_passkey_remove"):
        url = reverse(f"accounts:{name}", args=[other.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Mine"}).status_code == 404
    other.refresh_from_db()
    assert other.name == "Theirs"


def test_the_same_key_is_not_added_twice(client, stepped_up):
    authenticator = SoftAuthenticator()
    add_passkey(client, authenticator)
    options = json.loads(client.post(OPTIONS).content)
    assert len(options["excludeCredentials"]) == 1


def test_this_was_not_me_removes_the_passkey_and_ends_every_session(client, stepped_up, outbox):
    add_passkey(client, SoftAuthenticator())
    undo = re.search(
        r"https://id\.example\.test(/accounts/security/passkeys/undo/\S+/)", outbox[0].body
    )
    url = undo.group(1)
    assert "Work laptop" in client.get(url).content.decode()  # a GET changes nothing
    assert Passkey.objects.exists()

    response = client.post(url)

    assert response.status_code == 200 and not Passkey.objects.exists()
    # The page that says every session was signed out is not drawn as a signed-in one.
    assert "Sign out" not in response.content.decode()
    assert client.get(SECURITY).status_code == 302  # signed out
    assert client.post(url).status_code == 400  # once
    assert AuditEvent.objects.filter(action="passkey_disowned").count() == 1


def test_the_undo_link_dies_after_7_days(client, stepped_up, outbox):
    add_passkey(client, SoftAuthenticator())
    url = re.search(r"(/accounts/security/passkeys/undo/\S+/)", outbox[0].body).group(1)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert client.post(url).status_code == 400
    assert Passkey.objects.exists()


def test_with_an_ip_address_host_passkeys_are_not_offered(client, stepped_up, settings):
    settings.HYGATE_SITE_URL = "http://127.0.0.1:8000"
    assert client.get(ADD).status_code == 404
    assert b"Passkeys" not in client.get(SECURITY).content
    client.logout()
    assert b"passkey" not in client.get(reverse("accounts:login")).content.lower().replace(
        b"webauthn", b""
    )


def test_two_factor_status_counts_passkeys(stepped_up, client):
    add_passkey(client, SoftAuthenticator())
    from io import StringIO

    out = StringIO()
    call_command("two_factor_status", stdout=out)
    assert re.search(r"passkey:\s+1", out.getvalue())
    assert re.search(r"passkeys:\s+1", out.getvalue())
    assert mail.outbox  # the notice of the addition


def test_a_passkey_name_cannot_carry_a_link_into_its_notice(client, stepped_up, outbox):
    options = client.post(OPTIONS).content.decode()
    answer = client.post(
        ADD,
        {"name": "Call support at evil.example", "credential": SoftAuthenticator().create(options)},
    )
    assert answer.status_code == 400
    assert "cannot contain a web address" in answer.content.decode()
    assert not Passkey.objects.exists()
    assert not outbox
