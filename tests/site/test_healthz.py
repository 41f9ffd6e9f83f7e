"""A load balancer asks /healthz whether this process can serve."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from tests.fakes.smtp_server import free_port

pytestmark = pytest.mark.django_db


def test_healthy_answers_200_with_each_part_and_no_secret(client, resend_api):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["cache"] == "ok"
    assert body["email"] == {"configured": True}
    assert resend_api.account.keys and "re_" not in response.content.decode()
    assert "resend" not in response.content.decode()  # no hint of the provider in force


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

    assert body["email"] == {"configured": False}


def test_staff_who_may_view_the_email_settings_also_see_the_provider(client, resend_api):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    staff = UserFactory(staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_emailsettings"))
    client.force_login(staff)

    body = client.get("/healthz").json()

    assert body["email"] == {"provider": "resend", "configured": True}


def test_a_database_host_that_does_not_answer_is_down_in_bounded_time(silent_server):
    """A PostgreSQL host that takes the connection and says nothing must not hold the probe."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{silent_server.port}/hygate",
    }
    probe = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print('status', r.status_code, r.json()['database'])"
    )
    # Without a connect timeout the probe waits for ever; the bound is generous on purpose.
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "status 503 down" in result.stdout, result.stdout + result.stderr
