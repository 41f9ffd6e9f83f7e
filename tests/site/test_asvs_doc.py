"""docs/asvs.md answers every ASVS 5.0 V6 and V7 requirement of Levels 1 and 2, with proof.

Each row is `met`, naming tests that exist, or `not applicable`, saying why. The README
holds the documentation some requirements ask for; the tests below check it is there.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, get_resolver

from accounts.sessions import MAX_SESSIONS_PER_USER

ROOT = Path(__file__).resolve().parents[2]
PENDING = "PENDING-selfservice"
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")

# ASVS 5.0.0, chapters V6 and V7, every requirement of Level 1 or 2.
EXPECTED_IDS = [
    *("6.1.1", "6.1.2", "6.1.3"),
    *(f"6.2.{n}" for n in range(1, 13)),
    *("6.3.1", "6.3.2", "6.3.3", "6.3.4"),
    *("6.4.1", "6.4.2", "6.4.3", "6.4.4"),
    *(f"6.5.{n}" for n in range(1, 6)),
    *("6.6.1", "6.6.2", "6.6.3"),
    *(f"6.8.{n}" for n in range(1, 5)),
    *("7.1.1", "7.1.2", "7.1.3"),
    *(f"7.2.{n}" for n in range(1, 5)),
    *("7.3.1", "7.3.2"),
    *(f"7.4.{n}" for n in range(1, 6)),
    *("7.5.1", "7.5.2"),
    *("7.6.1", "7.6.2"),
]


def rows() -> list[dict]:
    """Return the requirement rows of docs/asvs.md as dicts."""
    found = []
    for line in (ROOT / "docs" / "asvs.md").read_text().splitlines():
        if not re.match(r"\|\s*[67]\.\d+\.\d+\s*\|", line):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        ident, text, level, status, evidence = cells
        found.append(
            {"id": ident, "text": text, "level": level, "status": status, "evidence": evidence}
        )
    return found


def test_every_level_one_and_two_requirement_has_exactly_one_row():
    assert [row["id"] for row in rows()] == EXPECTED_IDS


def test_every_row_is_met_or_not_applicable_with_a_reason():
    for row in rows():
        assert row["level"] in ("1", "2"), row["id"]
        assert row["status"] in ("met", "not applicable"), row["id"]
        assert len(row["evidence"]) > 15, f"{row['id']} gives no reason or evidence"


def test_every_met_row_names_tests_that_exist():
    missing, pending = [], []
    defined: dict[str, set[str]] = {}
    for row in rows():
        if row["status"] != "met":
            continue
        refs = TEST_REF.findall(row["evidence"])
        if PENDING in row["evidence"]:
            pending.append(row["id"])
        elif not refs:
            missing.append(f"{row['id']}: names no test")
        for path, name in refs:
            if path not in defined:
                file = ROOT / path
                tree = ast.parse(file.read_text()) if file.is_file() else ast.Module(body=[])
                defined[path] = {
                    node.name
                    for node in tree.body
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                }
            if name not in defined[path]:
                missing.append(f"{row['id']}: {path}::{name} does not exist")
    assert not missing, "\n".join(missing)
    if pending:
        pytest.fail(
            f"rows still waiting for the self-service tests ({PENDING}): " + ", ".join(pending)
        )


def readme() -> str:
    return (ROOT / "README.md").read_text()


def test_the_readme_says_how_stuffing_is_stopped_without_lockouts():
    text = readme()
    assert "**Credential stuffing without lock-outs.**" in text
    for rule in ("login", "login_failed", "login_failed_device"):
        assert f"`{rule}`" in text
    assert settings.HYGATE_RATE_LIMIT_RULES["login_failed"] == "5/5m/key"
    assert "5 wrong passwords per 5 minutes" in text
    assert "10\nwrong codes in an hour lock that step for an hour" in text or (
        "10 wrong codes in an hour lock that step for an hour" in " ".join(text.split())
    )


def test_the_readme_lists_the_context_words():
    text = " ".join(readme().split())
    for words in (
        "`hygate`, the site's name (`HYGATE_SITE_NAME`",
        "the user's e-mail address: the local part whole and split on",
        "the names of the organisations the user belongs to",
        "`0`->o, `1` `l` `!` `|`->i, `3`->e, `4` `@`->a, `5` `$`->s, `7` `+`->t",
    ):
        assert words in text


PATHWAYS = [
    "sign-up (`/accounts/signup/`",
    "sign-in (`/accounts/login/`)",
    "second factor: e-mailed code",
    "second factor: authenticator app",
    "recovery code",
    "passkey sign-in (`/accounts/login/passkey/`)",
    "second factor: passkey",
    "adding a passkey",
    "password reset (`/accounts/password/reset/`)",
    "invitation (`/invitations/<token>/`)",
    "staff reset of the second factor",
    "admin sign-in (`/admin/login/`",
    "password again (`/accounts/security/password/`)",
    "password change (`/accounts/password/change/`",
    "e-mail change (`/accounts/email/change/`",
]


def test_the_readme_documents_every_authentication_pathway():
    table = [line for line in readme().splitlines() if line.startswith("| ")]
    for pathway in PATHWAYS:
        assert any(line.startswith(f"| {pathway}") for line in table), pathway
    # No undocumented way in: every part of the accounts app is named in the README.
    text = readme()
    for pattern in get_resolver().url_patterns:
        if getattr(pattern, "app_name", None) != "accounts":
            continue
        for child in pattern.url_patterns:
            assert isinstance(child, URLPattern)
            area = str(child.pattern).split("/")[0]
            assert f"/accounts/{area}/" in text, area


def test_the_readme_documents_session_lifetimes_and_concurrency():
    text = " ".join(readme().split())
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
    assert settings.HYGATE_SESSION_MAX_AGE == 30 * 24 * 3600
    assert "`HYGATE_SESSION_IDLE_TIMEOUT` (2 weeks)" in text
    assert "`HYGATE_SESSION_MAX_AGE` (30 days)" in text
    assert "AAL2 re-authentication (30 minutes idle, 12 hours at most)" in text
    assert f"up to {MAX_SESSIONS_PER_USER} browsers at once" in text
    assert "ends the least recently used session" in text
