"""A member sees where they are signed in and ends sessions they do not trust."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailbox import link_in

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
SECURITY = reverse("accounts:security")
PASSWORD = reverse("accounts:security_reauthenticate")
END_OTHERS = reverse("accounts:security_end_other_sessions")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def browser(user_agent: str, ip: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)


def sign_in(client: Client, user) -> None:
    response = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/", response.content.decode()


def signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def mia():
    return UserFactory(email="mia@example.com")


@pytest.fixture
def laptop(mia):
    client = browser(FIREFOX, "198.51.100.7")
    sign_in(client, mia)
    return client


@pytest.fixture
def phone(mia):
    client = browser(SAFARI, "203.0.113.9")
    sign_in(client, mia)
    return client


def test_the_security_page_lists_each_browser_signed_in(laptop, phone, mia):
    page = laptop.get(SECURITY).content.decode()

    assert "Firefox on Windows" in page and "198.51.100.7" in page
    assert "Safari on iPhone" in page and "203.0.113.9" in page
    assert "This browser" in page
    assert page.count("End this session") == 1  # only the other one can be ended here
    assert UserSession.objects.filter(user=mia).count() == 2
    # The session key is kept only encrypted; its hash finds the row.
    key = laptop.session.session_key
    assert key not in str(list(UserSession.objects.values()))


def test_a_member_ends_their_other_session_and_that_browser_is_signed_out(laptop, phone, mia):
    other = UserSession.objects.get(user=mia, user_agent=SAFARI)
    end = reverse("accounts:security_end_session", args=[other.pk])

    # Ending a session needs the password again.
    assert laptop.get(end)["Location"].startswith(PASSWORD)
    assert laptop.post(end)["Location"].startswith(PASSWORD)
    assert signed_in(phone)
    laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})

    confirm = laptop.get(end).content.decode()
    assert "End this session?" in confirm and "Safari on iPhone" in confirm
    assert signed_in(phone)  # a GET ends nothing
    assert laptop.post(end)["Location"] == SECURITY

    assert not signed_in(phone)
    assert phone.get("/")["Location"] == "/accounts/login/?next=/"
    assert signed_in(laptop)
    assert list(UserSession.objects.filter(user=mia).values_list("user_agent", flat=True)) == [
        FIREFOX
    ]
    event = AuditEvent.objects.get(action="session_ended")
    assert (event.actor, event.target_user, event.ip_address) == (mia, mia, "198.51.100.7")


def test_nobody_ends_someone_elses_session(laptop, mia):
    stranger = browser(FIREFOX, "192.0.2.1")
    sign_in(stranger, UserFactory())
    stranger.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})
    mias = UserSession.objects.get(user=mia)

    response = stranger.post(reverse("accounts:security_end_session", args=[mias.pk]))

    assert response["Location"] == SECURITY
    assert signed_in(laptop)


def test_end_all_other_sessions_keeps_only_this_one(laptop, phone, mia):
    tablet = browser(SAFARI.replace("iPhone", "iPad"), "203.0.113.10")
    sign_in(tablet, mia)
    laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})
    assert "2 other sessions will be signed out" in laptop.get(END_OTHERS).content.decode()

    assert laptop.post(END_OTHERS)["Location"] == SECURITY

    assert not signed_in(phone) and not signed_in(tablet)
    assert signed_in(laptop)
    assert UserSession.objects.filter(user=mia).count() == 1
    assert AuditEvent.objects.get(action="session_ended").details["ended"] == 2


def test_signing_out_ends_only_this_session(laptop, phone, mia):
    laptop.post(LOGOUT)

    assert not signed_in(laptop)
    assert signed_in(phone)
    assert list(UserSession.objects.values_list("user_agent", flat=True)) == [SAFARI]
    assert AuditEvent.objects.filter(action="signed_out", target_user=mia).exists()


def test_a_password_reset_ends_every_session_and_the_list_agrees(laptop, phone, mia, outbox):
    stranger = browser(FIREFOX, "192.0.2.44")
    stranger.post(reverse("accounts:password_reset"), {"email": mia.email})
    link = link_in(outbox[0]).removeprefix("https://id.example.test")
    form = stranger.get(link, follow=True)
    new = "a brand new passphrase 77"
    stranger.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    assert not signed_in(laptop) and not signed_in(phone)
    assert not UserSession.objects.filter(user=mia).exists()
    actions = list(AuditEvent.objects.filter(target_user=mia).values_list("action", flat=True))
    assert {"password_reset_requested", "password_reset_completed", "session_ended"} <= set(actions)


def test_a_session_that_ended_another_way_leaves_the_list(laptop, phone, mia):
    # The password changed elsewhere (here: directly), which signs out every session.
    mia.set_password("another passphrase 1234")
    mia.save()
    fresh = browser(FIREFOX, "198.51.100.8")
    fresh.post(LOGIN, {"email": mia.email, "password": "another passphrase 1234"})

    page = fresh.get(SECURITY).content.decode()
    sessions = page.split("Where you are signed in")[1].split("Recent security events")[0]

    assert "Safari on iPhone" not in sessions
    assert "Safari on iPhone" in page.split("Recent security events")[1]  # its sign-in, as history
    assert UserSession.objects.filter(user=mia).count() == 1


def test_the_step_up_keeps_the_session_in_the_list(laptop, mia):
    laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})
    laptop.get(SECURITY)

    [row] = UserSession.objects.filter(user=mia)
    page = laptop.get(SECURITY).content.decode()
    assert "This browser" in page
    assert row.key_hash == UserSession.objects.get(user=mia).key_hash


def test_an_idle_session_ends_and_an_active_one_lives_on(mia, settings):
    settings.SESSION_COOKIE_AGE = 14 * 24 * 3600
    settings.HYGATE_SESSION_MAX_AGE = 90 * 24 * 3600
    with time_machine.travel(START, tick=False) as clock:
        active, idle = browser(FIREFOX, "198.51.100.7"), browser(SAFARI, "203.0.113.9")
        sign_in(active, mia)
        sign_in(idle, mia)
        for _ in range(3):  # 39 days of use, a visit every 13 days
            clock.shift(timedelta(days=13))
            assert signed_in(active)
        assert not signed_in(idle)


def test_a_session_ends_at_its_absolute_lifetime_however_active(mia, settings):
    settings.HYGATE_SESSION_MAX_AGE = 30 * 24 * 3600
    with time_machine.travel(START, tick=False) as clock:
        laptop = browser(FIREFOX, "198.51.100.7")
        sign_in(laptop, mia)
        for _ in range(2):
            clock.shift(timedelta(days=13))
            assert signed_in(laptop)
        clock.shift(timedelta(days=5))
        assert not signed_in(laptop)
        assert not UserSession.objects.filter(user=mia).exists()


@pytest.mark.parametrize(
    "user_agent",
    ["\U0001f600" * 300, 'Firefox/128.0 \\u0000" (Windows)'],
    ids=["300 emoji", "an escaped NUL and a quote"],
)
def test_a_thief_cannot_keep_the_end_of_their_session_out_of_the_log(laptop, mia, user_agent):
    # The user agent is the thief's to choose; the owner's action must still be recorded.
    thief = browser(user_agent.encode().decode("latin-1"), "192.0.2.99")
    sign_in(thief, mia)
    stolen = UserSession.objects.get(user=mia, ip_address="192.0.2.99")
    laptop.post(PASSWORD, {"password": DEFAULT_PASSWORD, "next": SECURITY})

    laptop.post(reverse("accounts:security_end_session", args=[stolen.pk]))

    assert not signed_in(thief)
    event = AuditEvent.objects.get(action="session_ended")
    assert (event.actor, event.details["ended"]) == (mia, 1)


def test_purge_expired_clears_sessions_that_expired_so_the_store_stops_growing(mia, settings):
    # Every sign-up starts a session (its code process) even from a client that keeps no
    # cookie; Django never deletes an expired one by itself.
    from django.contrib.sessions.models import Session
    from django.core.management import call_command

    settings.HYGATE_RATE_LIMITS = "off"
    with time_machine.travel(START, tick=False) as clock:
        for n in range(5):
            Client().post(
                reverse("accounts:signup"),
                {"email": f"drifter{n}@example.com", "password": "a long and unusual passphrase"},
            )
        assert Session.objects.count() == 5
        clock.shift(timedelta(days=13))
        laptop = browser(FIREFOX, "198.51.100.7")
        sign_in(laptop, mia)
        clock.shift(timedelta(days=2))

        call_command("purge_expired", stdout=(out := __import__("io").StringIO()))

        assert Session.objects.count() == 1
        assert signed_in(laptop)
    assert "expired sessions removed: 5" in out.getvalue()


def test_a_thief_signing_in_again_and_again_cannot_bury_the_session_list(mia, settings):
    # With the password (and no second factor) a thief could pile up sessions until the list,
    # and ending them, no longer fit in a request. Past 100, the least recently used end.
    settings.HYGATE_RATE_LIMITS = "off"
    with time_machine.travel(START, tick=False) as clock:
        first = browser(SAFARI, "203.0.113.9")
        sign_in(first, mia)
        clock.shift(timedelta(minutes=5))
        thief = [Client() for _ in range(100)]
        for session in thief:
            session.force_login(mia)
        clock.shift(timedelta(minutes=5))
        laptop = browser(FIREFOX, "198.51.100.7")
        sign_in(laptop, mia)

        assert UserSession.objects.filter(user=mia).count() == 100
        assert not signed_in(first) and not signed_in(thief[0])
        assert signed_in(thief[-1]) and signed_in(laptop)
        ended = AuditEvent.objects.filter(action="session_ended")
        assert [e.details for e in ended] == [{"ended": 1, "reason": "session_limit"}] * 2
