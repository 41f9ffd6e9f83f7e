"""A person who forgot their password resets it with a link that works once, for an hour."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD
from tests.mailbox import html_of, link_in

RESET = reverse("accounts:password_reset")
DONE = reverse("accounts:password_reset_done")
LOGIN = reverse("accounts:login")
NEW = "a brand new passphrase 77"

pytestmark = pytest.mark.django_db


def local(url: str) -> str:
    assert url.startswith("https://id.example.test/"), url
    return url.removeprefix("https://id.example.test")


def choose_password(client, link, password=NEW):
    """Open the link as a browser would and submit the new password."""
    form_page = client.get(local(link), follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else local(link)
    return client.post(action, {"new_password1": password, "new_password2": password})


def test_reset_works_once_and_does_not_sign_in(client, user, outbox):
    response = client.post(RESET, {"email": user.email.upper()})
    assert response["Location"] == DONE
    [message] = outbox
    assert message.to == [user.email]
    assert "Reset your Hygate password" in message.subject
    assert "expires in 60 minutes (1 hour)" in message.body
    assert "1 hour" in html_of(message)
    link = link_in(message)

    page = client.get(local(link), follow=True).content.decode()
    assert 'autocomplete="new-password"' in page

    done = choose_password(client, link)
    assert done["Location"] == LOGIN
    assert "_auth_user_id" not in client.session

    again = client.get(local(link), follow=True).content.decode()
    assert "This link no longer works" in again
    assert "Request a new link" in again

    user.refresh_from_db()
    assert user.check_password(NEW)
    assert not user.check_password(DEFAULT_PASSWORD)
    signed_in = client.post(LOGIN, {"email": user.email, "password": NEW})
    assert signed_in["Location"] == "/"


def test_unknown_address_gets_the_same_page_and_no_mail(client, outbox):
    response = client.post(RESET, {"email": "nobody@example.com"}, follow=True)
    assert response.redirect_chain == [(DONE, 302)]
    assert "If an account uses that address" in response.content.decode()
    assert outbox == []


def test_link_expires_after_an_hour(client, user, outbox):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        client.post(RESET, {"email": user.email})
        link = link_in(outbox[0])
        traveller.shift(60 * 60 + 1)
        page = client.get(local(link), follow=True).content.decode()
    assert "This link no longer works" in page
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_signs_out_every_other_session(client, user, outbox):
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get("/").status_code == 200

    client.post(RESET, {"email": user.email})
    choose_password(client, link_in(outbox[0]))

    assert elsewhere.get("/")["Location"].startswith(LOGIN)


def test_mismatched_passwords_are_refused(client, user, outbox):
    client.post(RESET, {"email": user.email})
    link = link_in(outbox[0])
    form_page = client.get(local(link), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW + "x"}
    )
    assert response.status_code == 200
    assert "The two new passwords are not the same." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_confirms_an_unverified_address(client, outbox):
    from tests.factories import UserFactory

    user = UserFactory(unverified=True)
    client.post(RESET, {"email": user.email})
    choose_password(client, link_in(outbox[0]))
    user.refresh_from_db()
    assert user.is_verified


def test_malformed_address_gets_a_clear_message(client, outbox):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_reset_mail_leaves_only_after_the_response(rf, user, outbox):
    """A known address answers as fast as an unknown one: the mail waits for close()."""
    from django.http import HttpResponse

    from accounts.flows.password_reset import request_password_reset
    from core.after_response import SendAfterResponseMiddleware

    def view(request):
        request_password_reset(request, user.email)
        return HttpResponse("check your inbox")

    response = SendAfterResponseMiddleware(view)(rf.post(RESET))
    assert outbox == []
    response.close()  # what the WSGI or ASGI server does once the body is sent
    assert [m.to for m in outbox] == [[user.email]]
