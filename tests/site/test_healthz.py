"""A load balancer asks /healthz whether this process can serve."""

import pytest
from django.test import override_settings

from tests.fakes.smtp_server import free_port

pytestmark = pytest.mark.django_db


def test_healthy_answers_200_with_each_part_and_no_secret(client, resend_api):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["cache"] == "ok"
    assert body["email"] == {"provider": "resend", "configured": True}
    assert resend_api.account.keys and "re_" not in response.content.decode()


def test_a_cache_that_is_down_answers_503(client):
    closed_port = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/5",
        }
    }
    with override_settings(CACHES=closed_port):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "down" and response.json()["database"] == "ok"


def test_a_console_provider_is_reported_as_not_configured(client, settings):
    settings.EMAIL_PROVIDER = "console"

    body = client.get("/healthz").json()

    assert body["email"] == {"provider": "console", "configured": False}
