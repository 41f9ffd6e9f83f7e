"""The environment rows of the interface contract, read by every settings module."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "k3y-for-the-contract-check-8f1d9a7c0b6e4d2f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
    "HYGATE_ENCRYPTION_KEY": "PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8=",
}
# Everything the contract's environment table names, cleared so only the test's values count.
CONTRACT_VARIABLES = [
    "DEBUG", "EMAIL_PROVIDER", "RESEND_API_KEY", "RESEND_FROM_EMAIL", "HYGATE_RATE_LIMITS",
    "HYGATE_STAFF_REQUIRE_TOTP", "SMTP_HOST", "DJANGO_SETTINGS_MODULE",
]  # fmt: skip
READ = """
import json, django
django.setup()
from django.conf import settings
from django.core.checks import run_checks
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "EMAIL_PROVIDER": settings.EMAIL_PROVIDER,
    "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
    "HYGATE_RATE_LIMITS": settings.HYGATE_RATE_LIMITS,
    "HYGATE_STAFF_REQUIRE_TOTP": settings.HYGATE_STAFF_REQUIRE_TOTP,
    "checks": sorted(m.id for m in run_checks(include_deployment_checks=True)),
}))
"""


def settings_under(module: str, **env: str) -> dict:
    """Import settings.<module> in a fresh process with `env` and return what it decided."""
    clean = {k: v for k, v in os.environ.items() if k not in CONTRACT_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env={**clean, **SECRETS, "DJANGO_SETTINGS_MODULE": f"settings.{module}", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_defaults_to_debug_console_mail_and_the_shared_sender_with_a_warning():
    development = settings_under("development")
    assert development["DEBUG"] is True
    assert development["EMAIL_PROVIDER"] == "console"
    assert development["DEFAULT_FROM_EMAIL"] == "onboarding@resend.dev"
    assert "hygate.W001" in development["checks"]
    assert development["HYGATE_STAFF_REQUIRE_TOTP"] is False


def test_an_smtp_setup_with_its_own_sender_gets_no_shared_sender_warning():
    smtp = settings_under(
        "development",
        EMAIL_PROVIDER="smtp",
        SMTP_HOST="smtp.example.com",
        SMTP_FROM_EMAIL="Hygate <id@example.com>",
    )
    assert "hygate.W001" not in smtp["checks"]
    bare_smtp = settings_under("development", EMAIL_PROVIDER="smtp", SMTP_HOST="smtp.example.com")
    assert "hygate.W001" in bare_smtp["checks"]


def test_every_settings_module_honours_debug_and_allows_rate_limits_off():
    development = settings_under("development", DEBUG="false", HYGATE_RATE_LIMITS="off")
    production = settings_under("production", DEBUG="true", HYGATE_RATE_LIMITS="off")
    test = settings_under("test", DEBUG="true", HYGATE_RATE_LIMITS="off")
    assert (development["DEBUG"], production["DEBUG"], test["DEBUG"]) == (False, True, True)
    for decided in (development, production, test):
        assert decided["HYGATE_RATE_LIMITS"] == "off"
        assert "hygate.W003" in decided["checks"]


def test_production_defaults_and_a_resend_key_picks_resend():
    production = settings_under("production", RESEND_API_KEY="re_contract_0000_6789")
    assert production["DEBUG"] is False
    assert production["EMAIL_PROVIDER"] == "resend"
    assert production["HYGATE_STAFF_REQUIRE_TOTP"] is True
    assert settings_under("production", EMAIL_PROVIDER="smtp")["EMAIL_PROVIDER"] == "smtp"


def environment_variables_read_by_settings() -> set[str]:
    names = set()
    for module in (ROOT / "settings").glob("*.py"):
        names |= set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', module.read_text()))
    return names


def documented(name: str, rows: list[str]) -> bool:
    """Say whether a row names the variable, whole or as `PREFIX_HOST`, `_PORT`."""
    for row in rows:
        if f"`{name}`" in row:
            return True
        for short in re.findall(r"`(_[A-Z0-9_]+)`", row):
            if name.endswith(short) and f"`{name.removesuffix(short)}_" in row:
                return True
    return False


@pytest.mark.parametrize("name", sorted(environment_variables_read_by_settings()))
def test_every_variable_the_settings_read_is_in_the_readme_and_env_example(name):
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert documented(name, rows), f"{name} is missing from the README's configuration table"
    assert re.search(rf"^# {name}=", (ROOT / ".env.example").read_text(), re.MULTILINE), name
