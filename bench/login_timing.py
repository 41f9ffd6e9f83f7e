"""Sign-in timing: an unknown address should cost what a wrong password costs.

Runs the real sign-in view with the production Argon2 parameters against a throwaway
SQLite database and prints the median time of each case and their ratio (1.00 is ideal).

    DJANGO_SETTINGS_MODULE=settings.test python bench/login_timing.py [rounds]
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
os.environ["HYGATE_RATE_LIMITS"] = "off"  # one client, many sign-ins: the point of the bench

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from settings import base  # noqa: E402


def median_ms(client: Client, email: str, password: str, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.post("/accounts/login/", {"email": email, "password": password})
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 400, response.status_code
    return statistics.median(samples)


def main(rounds: int = 15) -> None:
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 400s are the point here
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        from accounts.models import User

        User.objects.create_user(email="known@example.com", password="the right passphrase")
        client = Client()
        median_ms(client, "known@example.com", "warm-up", 2)
        wrong_password = median_ms(client, "known@example.com", "a wrong passphrase", rounds)
        unknown = median_ms(client, "unknown@example.com", "a wrong passphrase", rounds)
    print(f"hasher: {base.PASSWORD_HASHERS[0]} (settings: {settings.SETTINGS_MODULE})")
    print(f"wrong password  median {wrong_password:7.1f} ms")
    print(f"unknown address median {unknown:7.1f} ms")
    print(f"ratio unknown/wrong-password: {unknown / wrong_password:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
