"""Signing in with a passkey: on its own from the sign-in page, or as the second step.

The passkeys are added through the real security page first, by the software
authenticator of tests/passkey_authenticator.py; the server checks every answer with the
real `webauthn` library.
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.mailbox import code_in, link_in
from tests.passkey_authenticator import UP, SoftAuthenticator, b64
from twofactor.models import Passkey

LOGIN = reverse("accounts:login")
SIGN_IN = reverse("accounts:passkey_login")
SIGN_IN_OPTIONS = reverse("accounts:passkey_login_options")
STEP = reverse("accounts:login_2fa")
STEP_PASSKEY = reverse("accounts:passkey_second_step")
STEP_OPTIONS = reverse("accounts:passkey_second_step_options")
SECURITY = reverse("accounts:security")
ENROL = reverse("accounts:login_enrol")

pytestmark = pytest.mark.django_db


def with_passkey(user, authenticator: SoftAuthenticator, name="Laptop") -> Passkey:
    """Add a passkey to the user the way they would: the security page, after the step-up."""
    browser = Client()
    browser.force_login(user)
    browser.post(
        reverse("accounts:security_reauthenticate"),
        {"password": DEFAULT_PASSWORD, "next": SECURITY},
    )
    options = browser.post(reverse("accounts:security_passkey_options")).content.decode()
    response = browser.post(
        reverse("accounts:security_passkey_add"),
        {"name": name, "credential": authenticator.create(options)},
    )
    assert response.status_code == 302, response.content
    return Passkey.objects.get(user=user, name=name)


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


@pytest.fixture
def member(authenticator):
    user = UserFactory()
    with_passkey(user, authenticator)
    return user


def sign_in_with_passkey(client, authenticator, next_url="", **bend):
    options = client.post(SIGN_IN_OPTIONS).content.decode()
    answer = authenticator.get(options, **bend)
    return client.post(SIGN_IN, {"credential": answer, "next": next_url, "remember": "on"})


@pytest.mark.parametrize("policy", ["off", "email", "totp", "either"])
def test_a_passkey_signs_in_on_its_own_under_every_policy(client, member, authenticator, policy):
    SecurityPolicyFactory(two_factor_policy=policy)
    response = sign_in_with_passkey(client, authenticator, next_url="/orgs/")

    assert response.status_code == 302 and response["Location"] == "/orgs/"
    assert client.get("/").status_code == 200
    assert client.session["hygate.second_step"] == "passkey"
    assert client.session["hygate.first_step"] == "passkey"
    sign_in = AuditEvent.objects.get(action="sign_in")
    assert sign_in.details["second_step"] == "passkey"
    assert AuditEvent.objects.filter(action="passkey_sign_in", target_user=member).exists()
    passkey = Passkey.objects.get()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_the_sign_in_options_list_no_credentials(client, member):
    options = json.loads(client.post(SIGN_IN_OPTIONS, {"email": member.email}).content)
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert options["rpId"] == "id.example.test"


def test_the_sign_in_page_offers_a_passkey_and_autofill(client):
    page = client.get(LOGIN).content.decode()
    assert 'autocomplete="username webauthn"' in page
    assert 'data-passkey="sign-in"' in page and "hygate/passkeys.js" in page
    assert "<script>" not in page  # no inline code


def test_a_sign_in_challenge_works_once(client, member, authenticator):
    options = client.post(SIGN_IN_OPTIONS).content.decode()
    first = authenticator.get(options)
    assert client.post(SIGN_IN, {"credential": first})["Location"] == "/"
    client.logout()
    replay = client.post(SIGN_IN, {"credential": authenticator.get(options)}, follow=True)
    assert "timed out or was already used" in replay.content.decode()
    assert not replay.context["user"].is_authenticated


def test_a_stale_sign_in_challenge_is_refused(client, member, authenticator):
    options = client.post(SIGN_IN_OPTIONS).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(SIGN_IN, {"credential": authenticator.get(options)})
    assert response.status_code == 303 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "bend", [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"flags": UP}]
)
def test_a_wrong_origin_relying_party_or_unverified_user_is_refused(
    client, member, authenticator, bend
):
    response = sign_in_with_passkey(client, authenticator, **bend)
    assert response.status_code == 303 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="passkey_refused", target_user=member).exists()


def test_an_unknown_passkey_is_refused_without_naming_anyone(client, member):
    stranger = SoftAuthenticator()
    stranger.create(json.loads(client.post(SIGN_IN_OPTIONS).content) | _rp_user())
    response = sign_in_with_passkey(client, stranger)
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def error_summary(page: str) -> str:
    """The text of the page's error summary (which takes focus), or "" without one."""
    start = page.find('<div class="error-summary"')
    return page[start : page.find("</div>", start)] if start >= 0 else ""


def test_a_refused_passkey_sign_in_is_told_in_the_sign_in_pages_error_summary(client, member):
    stranger = SoftAuthenticator()
    stranger.create(json.loads(client.post(SIGN_IN_OPTIONS).content) | _rp_user())
    page = client.get(sign_in_with_passkey(client, stranger)["Location"])
    text = page.content.decode()
    assert "That passkey is not registered here." in error_summary(text)
    assert text.count("That passkey is not registered here.") == 1  # not a message as well
    assert "<title>Error: Sign in" in text
    assert "autofocus" not in text  # the summary takes focus, not the e-mail field
    again = client.get(LOGIN).content.decode()  # said once
    assert not error_summary(again) and "autofocus" in again


def _rp_user() -> dict:
    return {"rp": {"id": "id.example.test"}, "user": {"id": "AAAA"}}


def test_a_cloned_passkey_is_refused_recorded_and_the_owner_told(
    client, member, authenticator, outbox
):
    assert sign_in_with_passkey(client, authenticator)["Location"] == "/"
    assert sign_in_with_passkey(client, authenticator)["Location"] == "/"
    client.logout()
    outbox.clear()

    # A copy of the key, its counter behind the original's.
    response = sign_in_with_passkey(client, authenticator, sign_count=1)

    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="passkey_clone_suspected")
    assert event.target_user == member and event.details["sign_count"] == 1
    (notice,) = outbox
    assert notice.to == [member.email] and "copied passkey" in notice.subject
    assert Passkey.objects.get().sign_count == 2


def test_a_passkey_whose_counter_stays_at_zero_keeps_working(client):
    synced = SoftAuthenticator(counts=False)
    with_passkey(UserFactory(), synced)
    assert sign_in_with_passkey(client, synced)["Location"] == "/"
    client.logout()
    assert sign_in_with_passkey(client, synced)["Location"] == "/"


def test_a_disabled_account_cannot_sign_in_with_its_passkey(client, member, authenticator):
    member.is_active = False
    member.save()
    assert sign_in_with_passkey(client, authenticator)["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


# --- the second step ---


def password(client, user):
    return client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})


def pass_second_step(client, authenticator, **bend):
    options = client.post(STEP_OPTIONS)
    assert options.status_code == 200
    return client.post(STEP_PASSKEY, {"credential": authenticator.get(options.content, **bend)})


@pytest.mark.parametrize("policy", ["email", "either"])
def test_after_a_password_the_passkey_is_offered_first(
    client, member, authenticator, policy, outbox
):
    SecurityPolicyFactory(two_factor_policy=policy)
    outbox.clear()
    assert password(client, member)["Location"] == STEP
    page = client.get(STEP).content.decode()
    assert 'data-passkey="second-step"' in page
    assert "Use another method: a code by e-mail" in page
    assert not outbox  # no code mailed while the passkey is offered

    response = pass_second_step(client, authenticator)

    assert response["Location"] == "/"
    assert client.session["hygate.second_step"] == "passkey"
    assert AuditEvent.objects.filter(action="two_factor_passed").get().details == {
        "method": "passkey"
    }


def test_the_second_step_options_list_only_the_signing_in_users_passkeys(client, member):
    with_passkey(UserFactory(), SoftAuthenticator(), name="Other")
    SecurityPolicyFactory(two_factor_policy="email")
    password(client, member)
    options = json.loads(client.post(STEP_OPTIONS).content)
    mine = Passkey.objects.get(user=member)
    assert [c["id"] for c in options["allowCredentials"]] == [b64(bytes(mine.credential_id))]


def test_another_users_passkey_does_not_pass_the_second_step(client, member):
    theirs = SoftAuthenticator()
    with_passkey(UserFactory(), theirs, name="Theirs")
    SecurityPolicyFactory(two_factor_policy="email")
    password(client, member)
    response = pass_second_step(client, theirs)
    assert response.status_code == 303 and response["Location"] == STEP
    assert "_auth_user_id" not in client.session


def test_a_refused_second_step_passkey_is_told_in_the_error_summary(client, member):
    theirs = SoftAuthenticator()
    with_passkey(UserFactory(), theirs, name="Theirs")
    SecurityPolicyFactory(two_factor_policy="email")
    password(client, member)
    page = client.get(pass_second_step(client, theirs)["Location"]).content.decode()
    told = error_summary(page)
    # The password was given already: the page does not send the person back to it.
    assert "That passkey does not belong to this account." in told
    assert "password" not in told
    assert "<title>Error: Second step" in page


def test_under_totp_a_passkey_passes_without_an_app_to_enrol(client, member, authenticator):
    SecurityPolicyFactory(two_factor_policy="totp")
    assert password(client, member)["Location"] == STEP
    assert pass_second_step(client, authenticator)["Location"] == "/"
    assert client.session["hygate.second_step"] == "passkey"


def test_under_totp_the_app_is_still_offered_beside_the_passkey(client, authenticator):
    user = UserFactory()
    with_passkey(user, authenticator)  # before the app: the step-up then asks the password only
    AuthenticatorFactory(user=user)
    SecurityPolicyFactory(two_factor_policy="totp")
    password(client, user)
    assert "Use another method: the authenticator app" in client.get(STEP).content.decode()
    assert pass_second_step(client, authenticator)["Location"] == "/"


def test_without_a_pending_sign_in_the_passkey_step_sends_back(client, member, authenticator):
    assert client.post(STEP_OPTIONS).status_code == 400
    assert client.post(STEP_PASSKEY, {"credential": "{}"})["Location"] == LOGIN


# --- what removes passkeys ---


def test_the_help_desks_reset_removes_passkeys_and_the_notice_says_so(client, member, outbox):
    desk = UserFactory(staff=True)
    desk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "reset_two_factor"])
    )
    client.force_login(desk)
    done = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [member.pk]},
        follow=True,
    )
    assert "Two-factor reset for 1 user(s)" in done.content.decode()
    assert not Passkey.objects.filter(user=member).exists()
    event = AuditEvent.objects.get(action="two_factor_reset_by_staff")
    assert event.details["removed_passkeys"] == 1
    [notice] = [m for m in outbox if m.to == [member.email] and "reset" in m.subject]
    assert "and removed 1 passkey." in notice.body  # the mail names all that went


def test_the_email_change_undo_link_removes_a_passkey_the_changer_added(outbox):
    """A thief with the password adds a passkey, then moves the address; the old inbox undoes it."""
    owner = UserFactory(email="owner@example.com")
    thief = Client()
    assert (
        thief.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})["Location"] == "/"
    )
    thiefs_key = SoftAuthenticator()
    thief.post(
        reverse("accounts:security_reauthenticate"), {"password": DEFAULT_PASSWORD, "next": "/"}
    )
    options = thief.post(reverse("accounts:security_passkey_options")).content.decode()
    thief.post(
        reverse("accounts:security_passkey_add"),
        {"name": "Mine now", "credential": thiefs_key.create(options)},
    )
    assert Passkey.objects.filter(user=owner, name="Mine now").exists()
    sent = len(outbox)
    thief.post(reverse("accounts:email_change"), {"email": "thief@example.org"})
    thief.post(reverse("accounts:email_change_confirm"), {"code": code_in(outbox[sent])})
    undo = link_in(outbox[sent + 1]).removeprefix("https://id.example.test")

    assert Client().post(undo).status_code == 200
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"
    assert not Passkey.objects.filter(user=owner).exists()
    # The thief's key no longer opens the account.
    comeback = Client()
    answer = sign_in_with_passkey(comeback, thiefs_key)
    assert answer["Location"] == LOGIN
    assert "_auth_user_id" not in comeback.session


def test_passkey_requests_are_limited_per_ip(client, settings):
    settings.HYGATE_RATE_LIMIT_RULES = {**settings.HYGATE_RATE_LIMIT_RULES, "passkey": "3/m/ip"}
    answers = [client.post(SIGN_IN_OPTIONS).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
