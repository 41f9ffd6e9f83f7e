"""A newcomer's `make run` (SQLite in a file) answers requests sent at once, never 500.

The suite's own database is SQLite in memory, which does not show how a file behaves when
several threads write: this test serves Hygate from a real `runserver` on loopback with a
database in a temporary file, migrated, and sends the requests from threads.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SETUP = """
import json
from organisations.models import Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
organisation = OrganisationFactory()
owner = MembershipFactory(organisation=organisation, role=Role.OWNER, user=UserFactory())
members = [MembershipFactory(organisation=organisation) for _ in range(20)]
print(json.dumps({"owner": owner.user.email, "slug": organisation.slug,
                  "members": [m.pk for m in members]}))
"""
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        **kwargs,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = tmp_path_factory.mktemp("sqlite") / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
        # Every request comes from one address.
        "HYGATE_RATE_LIMITS": "off",
    }
    _manage(env, "migrate", "-v0")
    data = json.loads(_manage(env, "shell", "-c", SETUP).stdout.strip().splitlines()[-1])
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(f"{base}/accounts/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield base, data
    finally:
        process.terminate()
        process.wait(timeout=10)


def _with_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200
    return CSRF.search(page.text).group(1)


def _at_once(calls: list) -> list[int]:
    """Run the calls in threads released together; return each answer's status."""
    barrier = threading.Barrier(len(calls))

    def run(call) -> int:
        barrier.wait()
        return call().status_code

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_eight_sign_ups_at_once_all_get_their_code(server):
    base, _ = server
    calls = []
    for n in range(8):
        browser = requests.Session()
        token = _with_token(browser, f"{base}/accounts/signup/")
        form = {
            "csrfmiddlewaretoken": token,
            "email": f"newcomer{n}@example.com",
            "password": "a long and unusual passphrase 42",
        }
        calls.append(
            lambda browser=browser, form=form: browser.post(
                f"{base}/accounts/signup/", data=form, allow_redirects=False, timeout=30
            )
        )
    assert _at_once(calls) == [302] * 8


def test_twenty_role_changes_at_once_all_succeed(server):
    base, data = server
    owner = requests.Session()
    token = _with_token(owner, f"{base}/accounts/login/")
    signed_in = owner.post(
        f"{base}/accounts/login/",
        data={
            "csrfmiddlewaretoken": token,
            "email": data["owner"],
            "password": "correct horse battery staple",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302
    page = f"{base}/orgs/{data['slug']}/"
    token = _with_token(owner, page)
    calls = [
        lambda member=member: owner.post(
            page,
            data={
                "csrfmiddlewaretoken": token,
                "action": "change_role",
                "member": member,
                "role": "admin",
            },
            allow_redirects=False,
            timeout=30,
        )
        for member in data["members"]
    ]
    assert _at_once(calls) == [302] * 20
    overview = owner.get(page, timeout=10).text
    assert overview.count("admin") >= 20
