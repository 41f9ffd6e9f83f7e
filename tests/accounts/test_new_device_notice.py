"""A sign-in from a browser new to the account e-mails its owner; a known browser is quiet."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, SecurityPolicyFactory, UserFactory
from tests.mailbox import besides_new_device, code_in, html_of, new_device_notices

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
STEP = reverse("accounts:login_2fa")
SIGNUP = reverse("accounts:signup")
VERIFY = reverse("accounts:verify")
NOON = datetime(2026, 11, 25, 12, 34, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    answer = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert answer["Location"] == "/"
    return answer


@pytest.fixture
def mia():
    """A member who has signed in before, from her laptop."""
    member = UserFactory(email="mia@example.com", name="Mia")
    return member


@pytest.fixture
def laptop(mia, outbox):
    client = Client()
    sign_in(client, mia)
    assert new_device_notices(outbox) == []  # her very first sign-in: nothing to compare
    return client


def test_a_sign_in_from_a_new_browser_tells_the_owner_what_when_and_where(mia, laptop, outbox):
    phone = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.7")
    with time_machine.travel(NOON, tick=False):
        sign_in(phone, mia)

    [notice] = outbox
    assert notice.to == ["mia@example.com"]
    assert "a sign-in from a new browser" in notice.subject
    for text in (notice.body, html_of(notice)):
        assert "Firefox on Windows" in text
        assert "IP address: 203.0.113.7" in text
        assert "25 November 2026, 12:34 UTC" in text
        assert "https://id.example.test/accounts/security/" in text
    event = AuditEvent.objects.get(action="new_device_sign_in")
    assert (event.target_user, event.details["browser"]) == (mia, "Firefox on Windows")


def test_a_browser_that_signed_in_before_is_quiet(mia, laptop, outbox):
    laptop.post(LOGOUT)
    sign_in(laptop, mia)

    assert outbox == []


def test_the_sign_in_that_completes_a_sign_up_sends_none(client, outbox):
    client.post(SIGNUP, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    [code_mail] = outbox

    landed = client.post(VERIFY, {"code": code_in(code_mail)})

    assert landed["Location"] == "/"
    assert outbox == [code_mail]


def test_the_notice_waits_for_the_second_step(mia, laptop, outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    phone = Client()
    assert phone.post(LOGIN, {"email": mia.email, "password": DEFAULT_PASSWORD})["Location"] == STEP
    assert new_device_notices(outbox) == []  # the password alone signs nobody in

    [code_mail] = besides_new_device(outbox)
    phone.post(STEP, {"action": "verify", "code": code_in(code_mail)})

    [_notice] = new_device_notices(outbox)


def test_no_stranger_text_reaches_the_mail(mia, laptop, outbox):
    crafted = "Firefox/133.0 Call +1 555 0100 or visit https://evil.example to unlock"
    sign_in(Client(HTTP_USER_AGENT=crafted, REMOTE_ADDR="198.51.100.4"), mia)

    [notice] = outbox
    for text in (notice.body, html_of(notice)):
        assert "evil.example" not in text and "555" not in text
        assert "Browser: Firefox" in text


def test_several_accounts_in_one_browser_stay_known_to_each(mia, laptop, outbox):
    noah = UserFactory(email="noah@example.com")
    sign_in(Client(), noah)  # Noah's first sign-in, elsewhere
    outbox.clear()

    laptop.post(LOGOUT)
    sign_in(laptop, noah)  # new to Noah's account: he is told
    assert [m.to for m in new_device_notices(outbox)] == [["noah@example.com"]]
    laptop.post(LOGOUT)
    sign_in(laptop, mia)
    laptop.post(LOGOUT)
    sign_in(laptop, noah)

    assert len(outbox) == 1  # neither is told again about a browser they both use
