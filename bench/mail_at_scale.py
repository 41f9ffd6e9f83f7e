"""Mail at scale: bulk invitations under the provider's rate, failures, hangs, two workers.

Prints counts and ratios from one run of four scenarios against the Resend stand-in:

1. 1,000 invitations pasted at once, the stand-in enforcing 10 requests/s.
2. The same with the stand-in failing 20% of calls (a 500, or taking the mail and dropping
   the answer).
3. HYGATE_EMAIL_QUEUE=database, the stand-in hanging on 5% of calls: how long the bulk
   invitation request takes, then two `db_worker` processes deliver.
4. Two `db_worker` processes on PostgreSQL draining 5,000 queued mails.

Scenarios 3 and 4 need PostgreSQL (DATABASE_URL=postgres://...); the script creates and
drops `<database>_bench`. Set CACHE_URL=redis://... so every process shares one rate limit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hygate CACHE_URL=redis://127.0.0.1:6379/5 \\
        python bench/mail_at_scale.py
"""

import collections
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("HYGATE_RATE_LIMITS", "off")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from emailing import queue  # noqa: E402
from emailing.messages import render_message  # noqa: E402
from emailing.models import EmailLog  # noqa: E402
from organisations.models import Invitation, Role  # noqa: E402
from tests.factories import EmailSettingsFactory, MembershipFactory, UserFactory  # noqa: E402
from tests.fakes.resend_api import FULL_KEY, OWNER, Failure, FakeResend  # noqa: E402

RATE = 10


def report(title: str, fake: FakeResend, expected: int, **extra) -> None:
    recipients = collections.Counter(d["payload"]["to"][0] for d in fake.delivered)
    sends = [r for r in fake.requests if r["path"].startswith("/emails")]
    span = sends[-1]["at"] - sends[0]["at"] if sends else 0.0
    sent_rows = EmailLog.objects.filter(status="sent").count()
    print(f"\n{title}")
    print(f"  delivered (unique at the stand-in): {len(recipients)} / {expected}")
    print(f"  duplicates at the stand-in:         {sum(c - 1 for c in recipients.values())}")
    print(f"  delivery log 'sent':                {sent_rows}")
    print(
        f"  provider calls: {len(sends)} ({len(fake.batch_calls)} batch), 429s: {fake.rate_limited}"
    )
    print(f"  sending time (first to last call):  {span:.2f} s")
    for name, value in extra.items():
        print(f"  {name}: {value}")


def reset(fake: FakeResend) -> None:
    fake.reset()
    fake.rate = RATE
    cache.clear()
    EmailLog.objects.all().delete()
    Invitation.objects.all().delete()


def owner_client(slug: str) -> Client:
    owner = UserFactory()
    MembershipFactory(user=owner, organisation__slug=slug, role=Role.OWNER)
    client = Client()
    client.force_login(owner)
    return client


def paste(client: Client, slug: str, count: int) -> float:
    lines = "\n".join(f"person{n}@{slug}.example.org" for n in range(count))
    started = time.perf_counter()
    response = client.post(
        f"/orgs/{slug}/", {"action": "bulk_invite", "emails": lines, "role": "member"}
    )
    assert response.status_code == 200, response.status_code
    return time.perf_counter() - started


def workers(until_sent: int, timeout: float = 300) -> float:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HYGATE_EMAIL_QUEUE": "database",
        "HYGATE_EMAIL_QUEUE_RETRY_DELAY": "0.5",
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1"]
    started = time.monotonic()
    procs = [
        subprocess.Popen(  # noqa: S603
            [*command, "--worker-id", f"bench-{n}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(2)
    ]
    while (
        EmailLog.objects.filter(status="sent").count() < until_sent
        and time.monotonic() - started < timeout
    ):
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)
    return elapsed


def main() -> None:
    logging.getLogger("hygate").setLevel(logging.ERROR)
    logging.getLogger("django").setLevel(logging.ERROR)
    setup_test_environment()
    postgres = connection.vendor == "postgresql"
    if postgres:
        connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench"
    connection.creation.create_test_db(verbosity=0)
    fake = FakeResend().start()
    EmailSettingsFactory(api_key=FULL_KEY, resend_api_url=fake.url, from_email=f"Hygate <{OWNER}>")
    print(
        f"Mail at scale (stand-in at {RATE} requests/s, cache: "
        f"{type(cache).__name__}, database: {connection.vendor})"
    )
    with override_settings(
        EMAIL_BACKEND="emailing.backends.configured.ConfiguredEmailBackend",
        EMAIL_TIMEOUT=1.0,
        HYGATE_EMAIL_RATE=RATE,
    ):
        reset(fake)
        took = paste(owner_client("one"), "one", 1000)
        report(
            "1. 1,000 invitations, 10 requests/s",
            fake,
            1000,
            **{"request + sending in process": f"{took:.2f} s"},
        )

        reset(fake)
        fake.fail_randomly(0.2, Failure(), Failure(drop=True, deliver_first=True))
        took = paste(owner_client("two"), "two", 1000)
        report(
            "2. the same, 20% of calls failing",
            fake,
            1000,
            **{"request + sending in process": f"{took:.2f} s"},
        )

        if not postgres:
            print("\n3. and 4. need PostgreSQL (DATABASE_URL=postgres://...): skipped")
            return
        reset(fake)
        fake.fail_randomly(0.05, Failure(sleep=3.0, deliver_first=True))
        with override_settings(
            HYGATE_EMAIL_QUEUE="database",
            TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        ):
            took = paste(owner_client("three"), "three", 1000)
            drained = workers(1000)
        report(
            "3. database queue, 5% of calls hanging",
            fake,
            1000,
            **{
                "bulk-invite request": f"{took:.2f} s (under 2 s: {took < 2})",
                "workers' time to deliver": f"{drained:.2f} s",
            },
        )

        reset(fake)
        fake.rate = 0  # the drain's own limit is HYGATE_EMAIL_RATE, not the stand-in's
        with override_settings(
            HYGATE_EMAIL_QUEUE="database",
            TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        ):
            started = time.perf_counter()
            for start in range(0, 5000, 100):
                messages = [
                    render_message("security_notice", f"p{n}@drain.example.org", {"user": None})
                    for n in range(start, start + 100)
                ]
                queue.dispatch({e.batch_key for e in queue.queue(messages)})
            queued = time.perf_counter() - started
            drained = workers(5000)
        report(
            "4. two db_worker processes draining 5,000 queued mails",
            fake,
            5000,
            **{
                "queueing 5,000": f"{queued:.2f} s",
                "draining": f"{drained:.2f} s",
                "mails per second": f"{5000 / drained:.0f}",
            },
        )
    fake.stop()
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
