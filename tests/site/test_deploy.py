"""Production settings pass Django's deployment checks and refuse to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "settings.production",
    "SECRET_KEY": "k3y-for-the-deploy-check-8f1d9a7c0b6e4d2f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
    "ALLOWED_HOSTS": "id.example.com",
    "HYGATE_SITE_URL": "https://id.example.com",
    "RESEND_FROM_EMAIL": "Hygate <id@example.com>",
    "RESEND_API_KEY": "re_deploy_check_key_0000",
    "DATABASE_URL": "sqlite:////tmp/hygate-deploy-check.sqlite3",
    "HYGATE_ENCRYPTION_KEY": "PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8=",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_mail_would_be_printed():
    env = {**PRODUCTION_ENV, "RESEND_API_KEY": "", "EMAIL_PROVIDER": "console"}
    result = manage("check", "--deploy", env=env)
    assert "hygate.W002" in result.stderr + result.stdout


def test_check_deploy_warns_when_each_worker_would_count_rate_limits_alone():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "CACHE_URL"}
    result = manage("check", "--deploy", env=env)
    assert "hygate.W004" in result.stderr + result.stdout
    assert "LocMemCache" in result.stderr + result.stdout

    files = manage("check", "--deploy", env={**env, "CACHE_URL": "filecache:///tmp/hygate"})
    assert "hygate.W004" in files.stderr + files.stdout

    off = manage("check", "--deploy", env={**env, "HYGATE_RATE_LIMITS": "off"})
    assert "hygate.W004" not in off.stderr + off.stdout


def test_check_deploy_warns_when_staff_may_sign_in_without_an_authenticator_app():
    assert "hygate.W005" not in manage("check", "--deploy", env=PRODUCTION_ENV).stderr
    env = {**PRODUCTION_ENV, "HYGATE_STAFF_REQUIRE_TOTP": "false"}
    result = manage("check", "--deploy", env=env)
    assert "hygate.W005" in result.stderr + result.stdout
    assert "HYGATE_STAFF_REQUIRE_TOTP" in result.stderr + result.stdout


def test_production_checks_new_passwords_against_pwned_passwords_by_default():
    show = (
        "from django.conf import settings; "
        "print(settings.HYGATE_PWNED_PASSWORDS, "
        "[v['NAME'].rsplit('.', 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS])"
    )
    on = manage("shell", "-c", show, env=PRODUCTION_ENV).stdout
    assert "on" in on and on.count("BreachedPasswordValidator") == 1, on
    assert "hygate.W007" not in manage("check", "--deploy", env=PRODUCTION_ENV).stderr

    env = {**PRODUCTION_ENV, "HYGATE_PWNED_PASSWORDS": "off"}
    assert "BreachedPasswordValidator" not in manage("shell", "-c", show, env=env).stdout
    result = manage("check", "--deploy", env=env)
    assert "hygate.W007" in result.stderr + result.stdout
    assert "HYGATE_PWNED_PASSWORDS" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_a_valid_encryption_key():
    missing = manage("check", env={**PRODUCTION_ENV, "HYGATE_ENCRYPTION_KEY": ""})
    assert missing.returncode != 0
    assert "HYGATE_ENCRYPTION_KEY is not set" in missing.stderr

    wrong = manage("check", env={**PRODUCTION_ENV, "HYGATE_ENCRYPTION_KEY": "not-a-key"})
    assert wrong.returncode != 0
    assert "HYGATE_ENCRYPTION_KEY must be Fernet keys" in wrong.stderr


def test_a_load_balancer_probing_healthz_over_plain_http_gets_an_answer_not_a_redirect():
    # Behind the TLS-terminating proxy, the balancer asks the process itself, over HTTP.
    env = {**PRODUCTION_ENV, "CACHE_URL": "locmemcache://", "DATABASE_URL": "sqlite://:memory:"}
    probe = (
        "from django.test import Client; "
        "r = Client().get('/healthz', HTTP_HOST='id.example.com'); "
        "print('status', r.status_code)"
    )
    result = manage("shell", "-c", probe, env=env)

    assert "status 200" in result.stdout, result.stdout + result.stderr
