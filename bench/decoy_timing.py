"""Sign-up timing: a deactivated account's address should cost what a new one costs.

Runs the real sign-up view against a throwaway SQLite database, with mail going to the
Resend stand-in on loopback answering after a fixed latency (as a real provider would),
and prints the median time of each case and its ratio to a new address (1.00 is ideal).

    DJANGO_SETTINGS_MODULE=settings.test python bench/decoy_timing.py [rounds]
"""

import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ["HYGATE_RATE_LIMITS"] = "off"  # one client, many sign-ups: the point of the bench

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from tests.fakes.resend_api import FULL_KEY, OWNER, FakeResend  # noqa: E402

PROVIDER_LATENCY = 0.08  # seconds, a provider across the internet


class SlowResend(FakeResend):
    def answer(self, method: str, path: str, headers: dict, body: bytes):
        time.sleep(PROVIDER_LATENCY)
        return super().answer(method, path, headers, body)


def median_ms(email_of, rounds: int) -> float:
    samples = []
    for n in range(rounds):
        client = Client()
        data = {"email": email_of(n), "password": "a long and unusual passphrase 42"}
        start = time.perf_counter()
        response = client.post("/accounts/signup/", data)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.status_code
    return statistics.median(samples)


def main(rounds: int = 15) -> None:
    logging.getLogger("hygate").setLevel(logging.ERROR)
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    provider = SlowResend().start()
    mail = {
        # setup_test_environment() swaps in locmem; mail must reach the provider here.
        "EMAIL_BACKEND": "emailing.backends.configured.ConfiguredEmailBackend",
        "EMAIL_PROVIDER": "resend",
        "RESEND_API_KEY": FULL_KEY,
        "RESEND_API_URL": provider.url,
        "RESEND_FROM_EMAIL": f"Hygate <{OWNER}>",
        "DEFAULT_FROM_EMAIL": f"Hygate <{OWNER}>",
    }
    try:
        with override_settings(**mail):
            from accounts.models import User
            from emailing import config

            config.forget()

            for n in range(rounds):
                User.objects.create_user(email=f"gone{n}@example.com", is_active=False)
            median_ms(lambda n: f"warm{n}@example.com", 2)
            new = median_ms(lambda n: f"new{n}@example.com", rounds)
            gone = median_ms(lambda n: f"gone{n}@example.com", rounds)
    finally:
        provider.stop()
    print(f"provider latency {PROVIDER_LATENCY * 1000:.0f} ms")
    print(f"new address         median {new:7.1f} ms")
    print(f"deactivated account median {gone:7.1f} ms")
    print(f"ratio deactivated/new: {gone / new:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
