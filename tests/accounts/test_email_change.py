"""A member moves their account to a new address: a code to the new one, a notice to the old."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.codes import issue_email_code
from accounts.models import EmailCode, User, UserSession
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailbox import besides_new_device, code_in, link_in

CHANGE = reverse("accounts:email_change")
CONFIRM = reverse("accounts:email_change_confirm")
RESEND = reverse("accounts:email_change_resend")
PASSWORD = reverse("accounts:security_reauthenticate")
LOGIN = reverse("accounts:login")
SITE = "https://id.example.test"

pytestmark = pytest.mark.django_db


def sign_in(user, ip="198.51.100.7") -> Client:
    client = Client(REMOTE_ADDR=ip)
    assert (
        client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})["Location"] == "/"
    )
    return client


def ask_for(client, new):
    client.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": CHANGE})
    return client.post(CHANGE, {"email": new})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def mia():
    return UserFactory(email="mia@example.com", name="Mia")


def test_a_member_changes_the_address_with_a_code_and_the_old_one_is_told(mia, outbox):
    laptop = sign_in(mia)
    form = laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": CHANGE})
    assert form["Location"] == CHANGE
    page = laptop.get(CHANGE).content.decode()
    assert 'type="email"' in page and 'autocomplete="email"' in page

    assert laptop.post(CHANGE, {"email": "Mia.New@Example.org"})["Location"] == CONFIRM
    [code_mail] = outbox
    assert code_mail.to == ["mia.new@example.org"]  # the canonical form (core.addresses)
    page = laptop.get(CONFIRM).content.decode()
    assert "mia.new@example.org" in page and "10 minutes" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page

    # Until the code is typed, the old address stays the login.
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"
    assert (
        Client().post(LOGIN, {"email": "mia@example.com", "password": DEFAULT_PASSWORD})["Location"]
        == "/"
    )

    assert laptop.post(CONFIRM, {"code": code_in(code_mail)})["Location"] == "/accounts/security/"
    mia.refresh_from_db()
    assert mia.email == "mia.new@example.org"
    refused = Client().post(LOGIN, {"email": "mia@example.com", "password": DEFAULT_PASSWORD})
    assert refused.status_code == 400
    assert sign_in(mia)
    notice = besides_new_device(outbox)[1]  # the browsers after the laptop were new
    assert notice.to == ["mia@example.com"]
    assert "your e-mail address was changed" in notice.subject
    assert "mia.new@example.org" in notice.body and "expires in 7 days" in notice.body
    actions = AuditEvent.objects.filter(target_user=mia).values_list("action", flat=True)
    assert {"email_change_requested", "email_changed"} <= set(actions)


def test_a_wrong_code_changes_nothing_and_three_kill_it(mia, outbox):
    laptop = sign_in(mia)
    ask_for(laptop, "new@example.org")
    code = code_in(outbox[0])

    first = laptop.post(CONFIRM, {"code": wrong(code)}, follow=True)
    assert "You have 2 more tries" in first.content.decode()
    laptop.post(CONFIRM, {"code": wrong(code)})
    laptop.post(CONFIRM, {"code": wrong(code)})
    assert "no longer works" in laptop.post(CONFIRM, {"code": code}, follow=True).content.decode()
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"


def test_the_code_expires_after_ten_minutes(mia, outbox):
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        laptop = sign_in(mia)
        ask_for(laptop, "new@example.org")
        clock.shift(timedelta(minutes=10))
        expired = laptop.post(CONFIRM, {"code": code_in(outbox[0])}, follow=True)
    assert "That code has expired" in expired.content.decode()
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"


def test_an_address_with_an_account_is_not_revealed_and_its_owner_is_told(mia, outbox):
    UserFactory(email="taken@example.org")
    laptop = sign_in(mia)
    taken = ask_for(laptop, "TAKEN@example.org")
    free_browser = sign_in(UserFactory(email="other@example.com"), ip="203.0.113.9")
    free = ask_for(free_browser, "free@example.org")

    assert taken["Location"] == free["Location"] == CONFIRM
    assert page_of(laptop, "taken@example.org", "mia@example.com") == page_of(
        free_browser, "free@example.org", "other@example.com"
    )
    [notice, code_mail] = outbox
    assert notice.to == ["taken@example.org"]
    assert "someone tried to use your address" in notice.subject
    assert not re_code(notice.body)
    assert code_mail.to == ["free@example.org"]
    # Guesses get the same answers as for a real code, and change nothing.
    answer = laptop.post(CONFIRM, {"code": "123456"}, follow=True)
    assert "You have 2 more tries" in answer.content.decode()
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"


def page_of(client, new, old) -> str:
    """The code page as anyone would see it, with the two addresses and CSRF token taken out."""
    page = client.get(CONFIRM).content.decode().replace(new, "NEW").replace(old, "OLD")
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", page)


def re_code(body: str) -> bool:
    return bool(re.search(r"^\s+\d{6}\s*$", body, re.MULTILINE))


def test_an_address_taken_meanwhile_is_refused_clearly(mia, outbox):
    laptop = sign_in(mia)
    ask_for(laptop, "new@example.org")
    UserFactory(email="NEW@example.org")

    response = laptop.post(CONFIRM, {"code": code_in(outbox[0])}, follow=True)

    assert "That address now belongs to another account" in response.content.decode()
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"
    assert not AuditEvent.objects.filter(action="email_changed").exists()


def test_the_same_address_is_refused_and_new_codes_are_paced(mia, outbox):
    laptop = sign_in(mia)
    same = ask_for(laptop, "MIA@example.com")
    assert "already the e-mail address of your account" in same.content.decode()

    ask_for(laptop, "new@example.org")
    assert laptop.post(RESEND)["Location"] == CONFIRM
    assert len(outbox) == 1  # within the minute: no second code
    assert "ask again in" in laptop.get(CONFIRM).content.decode()


def test_the_undo_link_gives_the_address_back_and_shuts_the_changer_out(mia, outbox):
    laptop = sign_in(mia)
    ask_for(laptop, "thief@example.org")
    laptop.post(CONFIRM, {"code": code_in(outbox[0])})
    undo = link_in(outbox[1]).removeprefix(SITE)

    # A mail scanner's GET changes nothing.
    page = Client().get(undo).content.decode()
    assert "Give my address back" in page
    assert User.objects.get(pk=mia.pk).email == "thief@example.org"

    done = Client().post(undo)
    assert done.status_code == 200
    assert "Your address is back" in done.content.decode()
    mia.refresh_from_db()
    assert mia.email == "mia@example.com"
    assert not mia.has_usable_password()
    assert laptop.get("/").status_code == 302
    assert not UserSession.objects.filter(user=mia).exists()
    reset = outbox[-1]
    assert reset.to == ["mia@example.com"] and "/accounts/password/reset/" in reset.body
    assert AuditEvent.objects.filter(action="email_change_undone", target_user=mia).exists()

    # It works once.
    again = Client().post(undo)
    assert again.status_code == 400
    assert "no longer works" in again.content.decode()


def test_the_undo_link_expires_after_seven_days(mia, outbox):
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        laptop = sign_in(mia)
        ask_for(laptop, "new@example.org")
        laptop.post(CONFIRM, {"code": code_in(outbox[0])})
        undo = link_in(outbox[1]).removeprefix(SITE)
        clock.shift(timedelta(days=7, seconds=1))
        assert Client().post(undo).status_code == 400
    assert User.objects.get(pk=mia.pk).email == "new@example.org"


def test_a_forged_undo_link_does_nothing(mia):
    assert (
        Client().post(reverse("accounts:email_change_undo", args=["forged:token"])).status_code
        == 400
    )


def test_confirming_needs_the_session_that_asked(mia, outbox):
    laptop = sign_in(mia)
    ask_for(laptop, "new@example.org")
    other = sign_in(mia, ip="203.0.113.9")
    assert other.post(CONFIRM, {"code": code_in(outbox[0])})["Location"] == CHANGE
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises every write; this race needs PostgreSQL",
)
def test_two_accounts_confirming_the_same_address_at_once_get_it_once():
    from accounts.flows import email_change

    people = [UserFactory() for _ in range(6)]
    codes = {
        p.pk: issue_email_code(
            p,
            EmailCode.Purpose.CHANGE_EMAIL,
            timedelta(minutes=10),
            bound_to="wanted@example.org",
        )
        for p in people
    }

    def confirm(person):
        try:
            request = _request_for(person)
            process = email_change.EmailChange.initiate(
                request,
                user_id=person.pk,
                budget_id=person.pk,
                email="wanted@example.org",
                old_email=person.email,
                auth_hash=person.get_session_auth_hash(),
            )
            return email_change.confirm(request, process, codes[person.pk])[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(confirm, people))

    assert results.count(email_change.Result.CHANGED) == 1
    assert results.count(email_change.Result.TAKEN) == 5
    assert User.objects.filter(email__iexact="wanted@example.org").count() == 1


def _request_for(user):
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().post("/")
    request.session = SessionStore()
    request.user = user
    return request
