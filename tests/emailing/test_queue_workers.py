"""Two `db_worker` processes share one PostgreSQL queue and never send a mail twice."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from emailing import queue
from emailing.messages import render_message
from emailing.models import EmailLog
from tests.factories import EmailSettingsFactory
from tests.fakes.resend_api import FULL_KEY, Failure

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="workers on several machines need PostgreSQL"
    ),
]
ROOT = Path(__file__).resolve().parents[2]
MAILS = 200


def start_worker(name: str) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.test",
        "DATABASE_URL": url,
        "HYGATE_EMAIL_QUEUE": "database",
        "HYGATE_EMAIL_QUEUE_RETRY_DELAY": "0.2",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0.05",
            "--worker-id",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_two_workers_drain_the_queue_without_sending_any_mail_twice(resend_api, settings):
    settings.HYGATE_EMAIL_QUEUE = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    EmailSettingsFactory(api_key=FULL_KEY, resend_api_url=resend_api.url)
    # Queue in batches of 10, so both workers have batches to take.
    for start in range(0, MAILS, 10):
        messages = [
            render_message("security_notice", f"p{n}@example.org", {"user": None})
            for n in range(start, start + 10)
        ]
        entries = queue.queue(messages)
        queue.dispatch({e.batch_key for e in entries})
    resend_api.fail_randomly(0.2, Failure(), Failure(drop=True, deliver_first=True))

    workers = [start_worker("worker-a"), start_worker("worker-b")]
    log = EmailLog.objects.all()
    give_up = time.monotonic() + 120
    while log.exclude(status="sent").exists() and time.monotonic() < give_up:
        time.sleep(0.2)
    for worker in workers:
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
        assert worker.returncode == 0, stderr.decode()[-2000:]

    ran_on = {
        wid for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for wid in ids
    }
    assert ran_on == {"worker-a", "worker-b"}
    assert log.filter(status="sent").count() == MAILS
    recipients = [d["payload"]["to"][0] for d in resend_api.delivered]
    assert len(recipients) == MAILS and len(set(recipients)) == MAILS
    assert {d.recipient for d in log} == set(recipients)
