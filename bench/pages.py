"""Speed of the pages: Hygate's sign-in, sign-up and dashboard against a bare Django view.

Two gunicorns side by side on loopback. One serves the bare view: a login-like form with
a CSRF token, in a project with `startproject`'s settings (bench/pages_bare.py). The other
serves Hygate under production's settings (DEBUG off, the cached template loader, which
Django uses whenever `loaders` is not set, hashed static files), on a throwaway SQLite
database with HYGATE_RATE_LIMITS=off, and the same bare form beside its pages
("bare-in-hygate": what Hygate's middleware costs apart from its templates). A few client
threads, each with its own connection (kept alive where gunicorn allows), request each
page a fixed number of times. Pages take turns, round after round; each round gives each
page a ratio to that round's bare, and the median over the rounds is printed, so a
machine whose load changes disturbs the ratios less.

    python bench/pages.py [requests per page per round]      (needs gunicorn: '.[production]')
"""

import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Each page: its server, its path, and whether the signed-in browser asks for it (else a
# first visit, with no cookies).
PAGES = {
    "bare": ("bare", "/bench/bare/", False),
    "bare-in-hygate": ("hygate", "/bench/bare/", False),
    "sign-in": ("hygate", "/accounts/login/", False),
    "sign-up": ("hygate", "/accounts/signup/", False),
    "dashboard": ("hygate", "/", True),
}
WORKERS = 2  # gunicorn's sync workers, one per core of a small host
CLIENTS = 4
ROUNDS = 5
WARM_UP = 20
EMAIL = "bench@example.com"
PASSWORD = "a bench passphrase that is long enough"
# Behind a TLS-terminating proxy, as production expects: no redirect to https, and the
# secure cookies are set. The clients send the cookies back themselves, over loopback.
HTTPS = {"X-Forwarded-Proto": "https"}


def environment(workdir: Path) -> dict[str, str]:
    """Return the server's environment: production settings on a throwaway database."""
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pages_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HYGATE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HYGATE_RATE_LIMITS": "off",
        "EMAIL_PROVIDER": "console",
        "HYGATE_BENCH_STATIC_ROOT": str(workdir / "static"),
    }


def prepare(env: dict[str, str]) -> str:
    """Migrate, collect the static files and make the signed-in user; return the loaders."""
    os.environ.update(env)
    sys.path[:0] = [str(ROOT), str(BENCH)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.template import engines
    from django.utils import timezone

    from accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    User.objects.create_user(email=EMAIL, password=PASSWORD, email_verified_at=timezone.now())
    loaders = engines["django"].engine.template_loaders
    return ", ".join(type(loader).__module__ for loader in loaders)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def quiet_control_socket() -> list[str]:
    """Keep gunicorn (24 and later) off the shared control socket other servers may be using."""
    usage = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, check=True
    )
    return ["--no-control-socket"] if "--no-control-socket" in usage.stdout else []


def start(env: dict[str, str], settings: str, log: Path) -> tuple[subprocess.Popen, str]:
    """Start a gunicorn on loopback with these settings; return it and its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(WORKERS), "--chdir", str(ROOT), *quiet_control_socket()]
    command += ["django.core.wsgi:get_wsgi_application()"]
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603
            command,
            env={**env, "DJANGO_SETTINGS_MODULE": settings},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return server, f"http://127.0.0.1:{port}"


def wait_until_up(server: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped:\n{log.read_text()}")
        try:
            requests.get(f"{base}/bench/bare/", headers=HTTPS, timeout=2).raise_for_status()
            return
        except requests.RequestException:  # still booting
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer in 30 s:\n{log.read_text()}")


def sign_in(base: str) -> dict[str, str]:
    """Sign in through the real form; return the cookies of the signed-in browser."""
    page = requests.get(f"{base}/accounts/login/", headers=HTTPS, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    cookies = dict(page.cookies)
    answer = requests.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "email": EMAIL, "password": PASSWORD},
        headers={**HTTPS, "Referer": f"{base.replace('http:', 'https:')}/accounts/login/"},
        cookies=cookies,
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/", answer.status_code
    return {**cookies, **dict(answer.cookies)}


def client(base: str, path: str, cookies: dict, count: int, start: threading.Barrier) -> None:
    # http.client rather than requests: a client that costs little CPU leaves the cores
    # to the servers, which is what is measured. It keeps the connection when gunicorn does.
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
    headers = {**HTTPS}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    start.wait()
    for _ in range(count):
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
    connection.close()


def requests_per_second(base: str, path: str, cookies: dict, count: int) -> float:
    """Request `path` `count` times from CLIENTS threads at once; return requests/s."""
    start = threading.Barrier(CLIENTS + 1)
    share = count // CLIENTS
    threads = [
        threading.Thread(target=client, args=(base, path, cookies, share, start))
        for _ in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return share * CLIENTS / (time.perf_counter() - began)


def warm_up(bases: dict[str, str], cookies: dict) -> None:
    """Fill each worker's template cache, and check the dashboard is the signed-in one."""
    for server, path, signed_in in PAGES.values():
        base = bases[server]
        session = requests.Session()
        session.headers.update(HTTPS)
        session.cookies.update(cookies if signed_in else {})
        for _ in range(WARM_UP):
            response = session.get(base + path, allow_redirects=False, timeout=10)
            assert response.status_code == 200, (path, response.status_code)
    dashboard = requests.get(bases["hygate"] + "/", headers=HTTPS, cookies=cookies, timeout=10)
    assert EMAIL in dashboard.text, "the dashboard is not the signed-in one"


def main(count: int = 250) -> None:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hygate-bench-") as tmp:
        workdir = Path(tmp)
        env = environment(workdir)
        loaders = prepare(env)
        servers, bases = {}, {}
        try:
            for name, settings in (("bare", "pages_bare"), ("hygate", "pages_settings")):
                servers[name], bases[name] = start(env, settings, workdir / f"{name}.log")
            for name, server in servers.items():
                wait_until_up(server, bases[name], workdir / f"{name}.log")
            cookies = sign_in(bases["hygate"])
            warm_up(bases, cookies)
            rates: dict[str, list[float]] = {name: [] for name in PAGES}
            for _ in range(ROUNDS):
                for name, (server, path, signed_in) in PAGES.items():
                    jar = cookies if signed_in else {}
                    rate = requests_per_second(bases[server], path, jar, count)
                    rates[name].append(rate)
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=10)
    print(
        f"gunicorn: {WORKERS} sync workers each; {CLIENTS} client threads; {count} requests per"
        f" page per round, medians of {ROUNDS} rounds.\nHygate: production settings, DEBUG off,"
        f" template loaders: {loaders}"
    )
    print(f"{'page':<15} {'requests/s':>10} {'ratio to bare':>14}")
    for name, rounds in rates.items():
        ratios = [rate / bare for rate, bare in zip(rounds, rates["bare"], strict=True)]
        median = statistics.median
        print(f"{name:<15} {median(rounds):>10.1f} {median(ratios):>14.3f}")
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 250)
