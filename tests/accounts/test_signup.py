"""A newcomer signs up, receives a code by e-mail and lands on the dashboard."""

import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import EmailCode, User
from tests.factories import UserFactory
from tests.mailbox import code_in, html_of

SIGNUP = reverse("accounts:signup")
VERIFY = reverse("accounts:verify")
RESEND = reverse("accounts:verify_resend")
STRONG = "a long and unusual passphrase 42"

pytestmark = pytest.mark.django_db


def sign_up(client, email="new.person@example.com", password=STRONG, **extra):
    return client.post(SIGNUP, {"email": email, "password": password, **extra})


def test_newcomer_signs_up_gets_a_code_and_lands_on_the_dashboard(client, outbox):
    response = sign_up(client, name="Ada Lovelace")

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    user = User.objects.get(email="new.person@example.com")
    assert user.name == "Ada Lovelace"
    assert user.email_verified_at is None
    assert user.password.startswith("argon2$argon2id$")

    [message] = outbox
    assert message.to == ["new.person@example.com"]
    assert "verification code" in message.subject
    assert "expires in 10 minutes" in message.body
    assert "10 minutes" in html_of(message)
    code = code_in(message)

    page = client.get(VERIFY).content.decode()
    assert "new.person@example.com" in page
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert '<label for="id_code">' in page

    response = client.post(VERIFY, {"code": code}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "new.person@example.com" in response.content.decode()
    assert "Ada Lovelace" in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert response.context["user"] == user


def test_code_typed_with_spaces_is_accepted(client, outbox):
    sign_up(client)
    code = code_in(outbox[0])
    response = client.post(VERIFY, {"code": f" {code[:3]} {code[3:]} "})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_code_is_stored_only_as_a_keyed_hash(client, outbox):
    sign_up(client)
    code = code_in(outbox[0])
    stored = EmailCode.objects.get(user__email="new.person@example.com")
    assert code not in stored.code_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_emailcode")
        rows = cursor.fetchall()
    assert all(code not in str(value) for row in rows for value in row)


def test_three_wrong_codes_kill_the_code(client, outbox):
    sign_up(client)
    code = code_in(outbox[0])
    wrong = "000000" if code != "000000" else "111111"

    first = client.post(VERIFY, {"code": wrong}, follow=True)
    assert first.redirect_chain == [(VERIFY, 303)]  # a reload is a GET: it spends no try
    assert "That code is not right. You have 2 more tries." in first.content.decode()
    second = client.post(VERIFY, {"code": wrong}, follow=True)
    assert "You have 1 more try." in second.content.decode()
    third = client.post(VERIFY, {"code": wrong}, follow=True)
    assert "no longer works after too many wrong tries" in third.content.decode()

    # Now even the right code is refused, and the user stays unverified.
    response = client.post(VERIFY, {"code": code}, follow=True)
    assert response.redirect_chain == [(VERIFY, 303)]
    assert "no longer works" in response.content.decode()
    assert User.objects.get(email="new.person@example.com").email_verified_at is None
    assert EmailCode.objects.get().failed_attempts == 3


def test_a_right_code_is_not_a_wrong_try(client, outbox):
    sign_up(client)
    client.post(VERIFY, {"code": code_in(outbox[0])})
    assert EmailCode.objects.get().failed_attempts == 0


def test_expired_code_is_refused(client, outbox):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        sign_up(client)
        code = code_in(outbox[0])
        traveller.shift(15 * 60 + 1)
        response = client.post(VERIFY, {"code": code}, follow=True)
    assert response.redirect_chain == [(VERIFY, 303)]
    assert "That code has expired." in response.content.decode()
    assert User.objects.get(email="new.person@example.com").email_verified_at is None


def test_code_works_until_its_ten_minutes_are_up(client, outbox):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        sign_up(client)
        traveller.shift(9 * 60 + 50)
        response = client.post(VERIFY, {"code": code_in(outbox[0])})
    assert response["Location"] == "/"


def test_a_code_older_than_ten_minutes_is_refused(client, outbox):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        sign_up(client)
        traveller.shift(10 * 60 + 1)
        response = client.post(VERIFY, {"code": code_in(outbox[0])}, follow=True)
    assert response.redirect_chain == [(VERIFY, 303)]
    assert "That code has expired." in response.content.decode()


def test_malformed_code_gets_a_clear_message_and_costs_no_try(client, outbox):
    sign_up(client)
    for junk in ["12ab56", "１２３４５６", "1234567", ""]:
        response = client.post(VERIFY, {"code": junk})
        assert response.status_code == 400
        assert "Enter the 6-digit code from the e-mail." in response.content.decode()
    assert EmailCode.objects.get().failed_attempts == 0


def test_send_a_new_code_waits_a_minute_then_replaces_the_old_code(client, outbox):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        sign_up(client)
        old_code = code_in(outbox[0])

        page = client.get(VERIFY).content.decode()
        assert "You can ask for a new code in 60 seconds." in page

        response = client.post(RESEND, follow=True)
        assert "A code was sent less than a minute ago" in response.content.decode()
        assert len(outbox) == 1

        traveller.shift(61)
        response = client.post(RESEND, follow=True)
        assert "We sent a new code to new.person@example.com." in response.content.decode()
        assert len(outbox) == 2
        new_code = code_in(outbox[1])

        if new_code != old_code:
            refused = client.post(VERIFY, {"code": old_code})
            assert refused.status_code == 303
        assert client.post(VERIFY, {"code": new_code})["Location"] == "/"
    assert EmailCode.objects.count() == 1


def test_signing_up_with_a_known_address_reveals_nothing(client, outbox):
    owner = UserFactory(email="taken@example.com", name="Owner")
    response = sign_up(client, email="TAKEN@example.com")

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery staple")

    [notice] = outbox
    assert notice.to == ["taken@example.com"]
    assert "tried to sign up" in notice.subject
    assert "/accounts/login/" in notice.body

    page = client.get(VERIFY).content.decode()
    assert "taken@example.com" in page  # the canonical form, as for any address
    guess = client.post(VERIFY, {"code": "123456"}, follow=True)
    assert guess.redirect_chain == [(VERIFY, 303)]
    assert "That code is not right. You have 2 more tries." in guess.content.decode()


def test_signed_in_visitor_is_sent_to_the_dashboard(client, user):
    client.force_login(user)
    assert client.get(SIGNUP)["Location"] == "/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address", "password": STRONG}, "Enter a valid email address."),
        ({"email": "a" * 250 + "@example.com", "password": STRONG}, "at most 254 characters"),
        ({"email": "x@example.com", "password": "password"}, "This password is too common."),
        ({"email": "x@example.com", "password": "x@example.com"}, "too similar"),
        ({"email": "x@example.com", "password": STRONG, "name": "n" * 151}, "at most 150"),
        (
            {"email": "x@example.com", "password": STRONG, "name": "Ada\r\nBcc: x@evil.example"},
            "A name cannot contain line breaks or other control characters.",
        ),
        (
            {"email": "x@example.com", "password": STRONG, "name": "Ada\u202egro.live"},
            "A name cannot contain line breaks or other control characters.",
        ),
        ({"email": "", "password": ""}, "This field is required."),
    ],
)
def test_bad_sign_up_input_gets_a_clear_message_and_creates_nothing(client, outbox, data, message):
    response = client.post(SIGNUP, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == 0
    assert outbox == []


def test_unicode_names_and_domains_are_fine(client, outbox):
    response = sign_up(client, email="zoe@exämple.com", name="Zoë Ångström 山田")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.name == "Zoë Ångström 山田"
    assert outbox[0].to == [user.email]


def test_unicode_local_part_gets_a_clear_message(client, outbox):
    response = sign_up(client, email="zoë@example.com")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_safe_next_is_followed_after_verification(client, outbox):
    client.post(SIGNUP + "?next=/admin/", {"email": "n@example.com", "password": STRONG})
    response = client.post(VERIFY, {"code": code_in(outbox[0])})
    assert response["Location"] == "/admin/"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_next_to_another_host_is_ignored(client, outbox, evil):
    client.post(SIGNUP, {"email": "n@example.com", "password": STRONG, "next": evil})
    response = client.post(VERIFY, {"code": code_in(outbox[0])})
    assert response["Location"] == "/"


def test_form_without_csrf_token_is_refused(outbox):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(SIGNUP, {"email": "n@example.com", "password": STRONG})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert User.objects.count() == 0


def test_verify_page_without_a_pending_code_sends_to_sign_in(client):
    response = client.get(VERIFY)
    assert response["Location"] == reverse("accounts:login")


def test_replayed_verification_form_does_not_sign_in_twice(client, outbox):
    sign_up(client)
    code = code_in(outbox[0])
    client.post(VERIFY, {"code": code})
    client.post(reverse("accounts:logout"))
    replay = client.post(VERIFY, {"code": code})
    assert replay["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_failed_send_says_so_and_keeps_the_way_forward(client, settings):
    settings.EMAIL_BACKEND = "tests.fakes.backends.RefusingBackend"
    response = sign_up(client)
    assert response["Location"] == VERIFY
    page = client.get(VERIFY).content.decode()
    assert "We could not send the e-mail" in page
    assert "Send a new code" in page
    assert User.objects.count() == 1


def test_sign_up_page_marks_inputs_for_password_managers(client):
    page = client.get(SIGNUP).content.decode()
    assert 'type="email" name="email"' in page
    assert 'autocomplete="email"' in page
    assert 'type="password" name="password"' in page
    assert 'autocomplete="new-password"' in page
    for name in ("email", "name", "password"):
        assert f'<label for="id_{name}">' in page


def test_signing_up_again_with_an_unverified_address_sends_a_real_code(client, outbox):
    """The owner whose address a squatter signed up with first gets a code, not a notice."""
    squatter = Client(REMOTE_ADDR="198.51.100.9")
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        sign_up(squatter, email="owner@example.com", password="the squatter's passphrase 1")
        squatter_code = code_in(outbox[-1])
        traveller.shift(120)

        response = sign_up(client, email="owner@example.com", password=STRONG, name="Owner")
        assert response["Location"] == VERIFY
        [_, message] = outbox
        assert "verification code" in message.subject
        assert without_csrf(client.get(VERIFY)) == _code_page_for_new_address("owner@example.com")

        landed = client.post(VERIFY, {"code": code_in(message)}, follow=True)
        assert landed.redirect_chain[-1] == ("/", 302)
        owner = User.objects.get(email="owner@example.com")
        assert owner.check_password(STRONG)
        assert not owner.check_password("the squatter's passphrase 1")
        assert owner.name == "Owner"

        # The squatter's waiting page and old code are worth nothing now.
        assert squatter.post(VERIFY, {"code": squatter_code})["Location"] == reverse(
            "accounts:login"
        )
        refused = squatter.post(
            reverse("accounts:login"),
            {"email": "owner@example.com", "password": "the squatter's passphrase 1"},
        )
        assert refused.status_code == 400


def _code_page_for_new_address(email):
    """The code page a newcomer sees, with its token-dependent parts removed."""
    visitor = Client()
    with time_machine.travel("2026-11-25 10:02:00+00:00", tick=False):
        visitor.post(SIGNUP, {"email": email, "password": STRONG})
        return without_csrf(visitor.get(VERIFY))


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def test_a_strangers_words_never_reach_the_inbox_of_an_unverified_address(client, outbox):
    lure = "Your account is suspended, re-activate at https://evil.example/login"
    sign_up(client, email="someone@example.com", name=lure)
    client.post(RESEND)
    for message in outbox:
        assert "suspended" not in message.body
        assert "evil.example" not in message.body
        assert "suspended" not in html_of(message)
        assert "suspended" not in message.subject


def test_the_typed_code_is_kept_out_of_error_reports(client, outbox):
    sign_up(client)
    response = client.post(VERIFY, {"code": "123456"})
    assert "code" in response.wsgi_request.sensitive_post_parameters
