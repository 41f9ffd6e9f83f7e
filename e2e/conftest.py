"""The browser suite: Debian's Chromium, driven by Playwright, against Hygate on loopback.

The server is pytest-django's `live_server`: a real HTTP server in a thread of this
process, on the test database (transactional, so the test and the server see the same
rows). Mail goes to Django's locmem outbox, which the test reads (`inbox`). Rate limits
stay on, with an empty cache for each test.
"""

import os
import shutil
from pathlib import Path

import pytest

from e2e.browser import DESKTOP, Findings, Journey, Keyboard, slug
from e2e.phone import Inbox
from tests.factories import DEFAULT_PASSWORD

# Playwright's sync API keeps an asyncio event loop running in the main thread, where the
# test runs; Django then takes every ORM call from the test (factories, assertions on rows)
# for one made inside async code and refuses it. Nothing here is async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch the system's Chromium (HYGATE_CHROMIUM overrides its path), headless."""
    executable = os.environ.get("HYGATE_CHROMIUM", CHROMIUM)
    if not Path(executable).exists():
        pytest.exit(
            f"No Chromium at {executable}: apt-get install -y chromium, or set HYGATE_CHROMIUM.",
            returncode=4,
        )
    return {
        "headless": True,
        **browser_type_launch_args,  # --headed still wins, for watching a run
        "executable_path": executable,
    }


@pytest.fixture(scope="session")
def base_url(django_db_setup, live_server) -> str:
    """Point Playwright's relative URLs at the live server.

    The test database must exist before the server starts: an in-memory SQLite database
    is handed to the server's thread only if it is one when the server is made.
    """
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-GB"}


@pytest.fixture
def page(page):
    """Playwright's page, waiting 10 s rather than 30 for what a test expects to see."""
    page.set_default_timeout(10_000)
    return page


@pytest.fixture(autouse=True)
def _site(settings, live_server):
    """Links in mail lead to the live server; each test starts with empty caches."""
    from django.core.cache import cache

    from emailing import config

    settings.HYGATE_SITE_URL = live_server.url
    # Hygate's own backend, whose provider under the test settings is locmem.
    settings.EMAIL_BACKEND = "emailing.backends.configured.ConfiguredEmailBackend"
    config.forget()
    cache.clear()
    yield
    cache.clear()
    config.forget()


@pytest.fixture
def inbox(live_server) -> Inbox:
    """Everyone's mailbox, empty at the start of the test."""
    return Inbox(live_server.url)


@pytest.fixture(scope="session")
def _resend_server():
    from tests.fakes.resend_api import FakeResend

    server = FakeResend().start()
    yield server
    server.stop()


@pytest.fixture
def resend_api(_resend_server, settings):
    """Resend's API on loopback (the suite's stand-in), where Settings -> Email sends keys."""
    _resend_server.reset()
    settings.RESEND_API_URL = _resend_server.url
    settings.EMAIL_TIMEOUT = 2
    return _resend_server


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def sign_in(page):
    """Sign in through the sign-in page (no second step); return to the test on the dashboard."""

    def sign_in(email: str, password: str = DEFAULT_PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url("/")

    return sign_in


@pytest.fixture
def findings() -> Findings:
    return Findings()


@pytest.fixture
def journey(request, page, findings) -> Journey:
    """Screenshots and axe-core for each page state, in artifacts/screenshots/<test>/."""
    folder = SCREENSHOTS / slug(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Journey(page, folder, findings)


@pytest.fixture
def keyboard(page, findings) -> Keyboard:
    """Tab, typing and Enter only, with the focus ring measured at every stop."""
    return Keyboard(page, findings)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Once the journey is through, fail the test on any accessibility finding."""
    findings = item.funcargs.get("findings")
    try:
        result = yield
    except BaseException:
        if findings is not None and findings.lines:
            item.add_report_section("call", "accessibility", findings.report())
        raise
    if findings is not None and findings.lines:
        pytest.fail(
            f"The journey works, but {len(findings.lines)} accessibility finding(s):\n"
            + findings.report(),
            pytrace=False,
        )
    return result


def pytest_terminal_summary(terminalreporter) -> None:
    if SCREENSHOTS.exists():
        terminalreporter.write_line(f"Screenshots of every page state: {SCREENSHOTS}/<test>/")
