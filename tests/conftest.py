import pytest
from django.core import mail

from tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _configured_mail_backend(settings):
    """Send through Hygate's configured backend, which Django's test set-up swaps for locmem.

    The test settings make its provider `locmem`, so mail still lands in mail.outbox.
    """
    settings.EMAIL_BACKEND = "emailing.backends.configured.ConfiguredEmailBackend"


@pytest.fixture(autouse=True)
def _fresh_email_config():
    """Each test starts without the previous test's cached e-mail configuration."""
    from emailing import config

    config.forget()
    yield
    config.forget()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def outbox():
    """The messages sent so far (Django's locmem outbox), emptied for each test."""
    mail.outbox = []
    return mail.outbox


@pytest.fixture(scope="session")
def _resend_server():
    from tests.fakes.resend_api import FakeResend

    server = FakeResend().start()
    yield server
    server.stop()


@pytest.fixture
def resend_api(_resend_server, settings):
    """Resend's API on loopback, configured as the environment's provider."""
    from tests.fakes.resend_api import FULL_KEY, OWNER

    _resend_server.reset()
    settings.EMAIL_PROVIDER = "resend"
    settings.RESEND_API_KEY = FULL_KEY
    settings.RESEND_API_URL = _resend_server.url
    settings.RESEND_FROM_EMAIL = f"Hygate <{OWNER}>"
    settings.DEFAULT_FROM_EMAIL = settings.RESEND_FROM_EMAIL
    settings.EMAIL_TIMEOUT = 0.5
    return _resend_server


@pytest.fixture
def smtp_server():
    from tests.fakes.smtp_server import SMTPServer

    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def hang_up_server():
    from tests.fakes.smtp_server import HangUpServer

    server = HangUpServer().start()
    yield server
    server.stop()


@pytest.fixture
def silent_server():
    from tests.fakes.smtp_server import SilentServer

    server = SilentServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _pwned_server():
    from tests.fakes.pwned_passwords import FakePwnedPasswords

    server = FakePwnedPasswords().start()
    yield server
    server.stop()


@pytest.fixture
def pwned_api(_pwned_server, settings):
    """Pwned Passwords' range API on loopback, with the breached-password check switched on."""
    _pwned_server.reset()
    settings.HYGATE_PWNED_PASSWORDS = "on"
    settings.HYGATE_PWNED_PASSWORDS_URL = _pwned_server.url
    settings.HYGATE_PWNED_PASSWORDS_TIMEOUT = 0.5
    settings.AUTH_PASSWORD_VALIDATORS = [
        *settings.AUTH_PASSWORD_VALIDATORS,
        {"NAME": "accounts.password_validation.BreachedPasswordValidator"},
    ]
    yield _pwned_server
    _pwned_server.delay = 0.0
