"""People sign in with e-mail and password, and sign out."""

import pytest
import time_machine
from django.urls import reverse

from accounts.flows.login import SESSION_KEY as PENDING_SIGN_IN
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailbox import code_in

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
VERIFY = reverse("accounts:verify")

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=DEFAULT_PASSWORD, follow=False, **extra):
    return client.post(LOGIN, {"email": email, "password": password, **extra}, follow=follow)


def test_login_page_marks_inputs_for_password_managers(client):
    page = client.get(LOGIN).content.decode()
    assert 'type="email"' in page
    assert 'autocomplete="username webauthn"' in page
    assert 'type="password"' in page
    assert 'autocomplete="current-password"' in page
    assert '<label for="id_email">' in page
    assert '<label for="id_password">' in page
    assert "csrfmiddlewaretoken" in page


def test_person_signs_in_and_sees_the_dashboard(client, user):
    client.get(LOGIN)
    before = client.session.session_key

    response = sign_in(client, user.email.upper(), follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert user.email in response.content.decode()
    assert client.session.session_key != before
    assert PENDING_SIGN_IN not in client.session


def test_wrong_password_and_unknown_address_look_the_same(client, user):
    wrong_password = sign_in(client, user.email, "not the password")
    unknown = sign_in(client, "nobody@example.com", "not the password")

    assert wrong_password.status_code == unknown.status_code == 400
    message = "That e-mail address and password do not match an account."
    assert message in wrong_password.content.decode()
    assert message in unknown.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_account_cannot_sign_in(client):
    inactive = UserFactory(is_active=False)
    response = sign_in(client, inactive.email)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_unverified_account_is_sent_to_verify_with_a_fresh_code(client, outbox):
    user = UserFactory(unverified=True)
    response = sign_in(client, user.email)

    assert response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session
    [message] = outbox
    assert message.to == [user.email]

    landed = client.post(VERIFY, {"code": code_in(message)}, follow=True)
    assert landed.redirect_chain[-1] == ("/", 302)
    user.refresh_from_db()
    assert user.is_verified


def test_safe_next_is_followed(client, user):
    response = sign_in(client, user.email, next="/admin/")
    assert response["Location"] == "/admin/"


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "javascript:alert(1)",
        "\\\\evil",
    ],
)
def test_next_to_another_host_lands_on_the_dashboard(client, user, evil):
    response = sign_in(client, user.email, next=evil)
    assert response["Location"] == "/"


def test_login_page_carries_next_through_the_form(client):
    page = client.get(LOGIN + "?next=/admin/").content.decode()
    assert 'name="next" value="/admin/"' in page
    evil = client.get(LOGIN + "?next=https://evil.example/").content.decode()
    assert "evil.example" not in evil


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response["Location"] == "/accounts/login/?next=/"


def test_sign_out_needs_a_post(client, user):
    client.force_login(user)
    page = client.get(LOGOUT)
    assert page.status_code == 200
    assert "_auth_user_id" in client.session

    response = client.post(LOGOUT)
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"].startswith(LOGIN)


def test_overlong_input_is_refused_cleanly(client):
    response = sign_in(client, "a" * 5000 + "@example.com", "p" * 5000)
    assert response.status_code == 400
    assert "at most 254 characters" in response.content.decode()


def test_old_hashes_are_upgraded_on_sign_in(client, user, settings):
    from django.contrib.auth.hashers import make_password

    user.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    sign_in(client, user.email)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def test_a_new_password_sign_in_ends_a_pending_one(client, user):
    pending = {"user_id": user.pk, "next_url": "", "started_at": 0}
    session = client.session
    session[PENDING_SIGN_IN] = pending
    session.save()
    with time_machine.travel("2026-11-25 10:00:00+00:00"):
        sign_in(client, user.email)
    assert PENDING_SIGN_IN not in client.session


@pytest.mark.parametrize("next_value", ["welcome", "dashboard", "admin:index", "evil.example"])
def test_a_next_that_is_not_a_path_is_ignored_not_a_500(client, outbox, next_value):
    user = UserFactory(unverified=True)
    response = sign_in(client, user.email, next=next_value)
    assert response["Location"] == VERIFY
    landed = client.post(VERIFY, {"code": code_in(outbox[-1])})
    assert landed.status_code == 302
    assert landed["Location"] == "/"
    assert "_auth_user_id" in client.session

    client.post(LOGOUT)
    assert sign_in(client, user.email, next=next_value)["Location"] == "/"


def test_keep_me_signed_in_is_on_unless_unticked(client, user):
    page = client.get(LOGIN).content.decode()
    assert 'name="remember"' in page and "checked" in page
    sign_in(client, user, remember="on")
    assert client.session.get_expire_at_browser_close() is False
    client.post(LOGOUT)

    sign_in(client, user)  # a form posted without the box: a shared computer
    assert client.session.get_expire_at_browser_close() is True


def test_keep_me_signed_in_unticked_holds_through_the_verification_code(client, outbox):
    user = UserFactory(unverified=True)
    sign_in(client, user)  # the box unticked: a shared computer
    client.post(VERIFY, {"code": code_in(outbox[-1])})
    assert "_auth_user_id" in client.session
    assert client.session.get_expire_at_browser_close() is True
