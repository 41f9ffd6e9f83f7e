import pytest
from django.core import mail

from tests.factories import DEFAULT_PASSWORD, UserFactory


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
