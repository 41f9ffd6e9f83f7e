"""E-mail pipeline overhead: Hygate's send path against a bare SDK call.

Sends N messages to a Resend stand-in on loopback, once through `send_message()`
(render, delivery-log row, configured-provider lookup, retries wrapper, logging) and once
as bare `resend.Emails.send` calls with the same pooled HTTP client, and prints the median
time per message of each and their ratio.

    python bench/email_send.py [messages]
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

import django

django.setup()

import resend  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from emailing.backends.resend import build_payload, call_resend  # noqa: E402
from emailing.messages import render_message, send_message  # noqa: E402
from tests.fakes.resend_api import FULL_KEY, OWNER, FakeResend  # noqa: E402


def timed(function, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(rounds: int = 200) -> None:
    logging.getLogger("hygate").setLevel(logging.WARNING)
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    fake = FakeResend().start()
    context = {"code": "123456", "expires_minutes": 15}
    with override_settings(
        EMAIL_BACKEND="emailing.backends.configured.ConfiguredEmailBackend",
        EMAIL_PROVIDER="resend",
        RESEND_API_KEY=FULL_KEY,
        RESEND_API_URL=fake.url,
        DEFAULT_FROM_EMAIL=f"Hygate <{OWNER}>",
    ):
        payload = build_payload(render_message("verification_code", OWNER, context))
        bare = timed(lambda: call_resend(FULL_KEY, fake.url, resend.Emails.send, payload), rounds)
        hygate = timed(lambda: send_message("verification_code", OWNER, context), rounds)
    fake.stop()
    print(f"bare SDK call        median {bare:6.2f} ms/message")
    print(f"Hygate send_message  median {hygate:6.2f} ms/message")
    print(f"ratio Hygate/bare: {hygate / bare:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
