"""Look-alike spellings signed up at the same moment still make one account per mailbox."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import User

SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
STRONG = "a long and unusual passphrase 42"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every write; this race needs PostgreSQL",
    ),
]


def sign_up_together(addresses: list[str]) -> list[int]:
    """Post one sign-up per address from threads released at one barrier; return statuses."""
    barrier = threading.Barrier(len(addresses))
    statuses: list[int] = []

    def sign_up(address: str) -> None:
        try:
            client = Client()
            barrier.wait(5)
            statuses.append(client.post(SIGNUP, {"email": address, "password": STRONG}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(a,)) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return statuses


def test_two_spellings_of_one_address_signed_up_at_once_make_one_account(outbox):
    assert sign_up_together(["sam@x.com", "ſAM@x.com"]) == [302, 302]

    assert list(User.objects.values_list("email", flat=True)) == ["sam@x.com"]
    for spelling in ("sam@x.com", "ſam@x.com"):
        response = Client().post(LOGIN, {"email": spelling, "password": STRONG})
        assert response.status_code == 302  # to the code page: the account is not verified


def test_a_look_alike_domain_signed_up_at_once_is_another_account_and_both_sign_in(outbox):
    assert sign_up_together(["carl@mis.com", "carl@mıs.com"]) == [302, 302]

    assert sorted(User.objects.values_list("email", flat=True)) == [
        "carl@mis.com",
        "carl@xn--ms-hpa.com",
    ]
    for spelling in ("carl@mis.com", "carl@mıs.com"):
        response = Client().post(LOGIN, {"email": spelling, "password": STRONG})
        assert response.status_code == 302
