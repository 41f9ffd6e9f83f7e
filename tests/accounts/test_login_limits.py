"""Failed passwords are limited without letting strangers lock an owner out."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.device import COOKIE_NAME
from tests.factories import DEFAULT_PASSWORD, UserFactory

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")


def attempt(client: Client, email: str, password: str) -> int:
    return client.post(LOGIN, {"email": email, "password": password}).status_code


@pytest.mark.django_db
def test_a_stranger_cannot_lock_out_an_owner_who_signed_in_from_this_browser_before():
    owner = UserFactory()
    browser = Client()
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        assert (
            browser.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})["Location"]
            == "/"
        )
        assert COOKIE_NAME in browser.cookies
        browser.post(LOGOUT)

        attacker = Client(REMOTE_ADDR="198.51.100.7")
        for _ in range(5):
            assert attempt(attacker, owner.email, "guess") == 400
        assert attempt(attacker, owner.email, DEFAULT_PASSWORD) == 429
        assert attempt(Client(), owner.email, DEFAULT_PASSWORD) == 429  # any new browser

        response = browser.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
        assert response["Location"] == "/"


@pytest.mark.django_db
def test_a_device_cookie_is_limited_by_its_own_failures_and_only_for_its_account():
    owner, other = UserFactory(), UserFactory()
    browser = Client()
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        browser.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
        browser.post(LOGOUT)
        for _ in range(5):
            assert attempt(browser, owner.email, "typo") == 400
        assert attempt(browser, owner.email, DEFAULT_PASSWORD) == 429

        # The cookie names one account: for another address this browser is a stranger.
        for _ in range(5):
            assert attempt(browser, other.email, "guess") == 400
        assert attempt(browser, other.email, DEFAULT_PASSWORD) == 429


@pytest.mark.django_db
def test_a_forged_device_cookie_counts_for_nothing():
    owner = UserFactory()
    attacker = Client()
    attacker.cookies[COOKIE_NAME] = "eyJhIjoiZm9yZ2VkIn0:forged:signature"
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        for _ in range(5):
            attempt(attacker, owner.email, "guess")
        assert attempt(Client(), owner.email, DEFAULT_PASSWORD) == 429


@pytest.mark.django_db
def test_a_right_password_gives_its_count_back():
    owner = UserFactory()
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        for _ in range(4):
            attempt(Client(), owner.email, "typo")
        for _ in range(3):
            assert attempt(Client(), owner.email, DEFAULT_PASSWORD) == 302
        assert attempt(Client(), owner.email, "typo") == 400


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises every write; this race needs PostgreSQL",
)
def test_twenty_wrong_passwords_sent_at_once_are_mostly_refused_before_the_hash():
    owner = UserFactory()

    def guess(n: int) -> int:
        try:
            return attempt(Client(REMOTE_ADDR=f"203.0.113.{n}"), owner.email, f"guess {n}")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(guess, range(20)))

    assert statuses.count(400) <= 5
    assert statuses.count(429) >= 15
