"""Tokens that travel in links never reach the logs."""

import logging

import pytest
from django.test import Client

from core.logging import RedactSecretPaths, redact
from tests.accounts.test_first_factor import disown_link, enrol_with_inbox, sign_in
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailbox import code_in, link_in


def test_reset_and_invitation_tokens_are_redacted():
    line = '"GET /accounts/password/reset/MQ/cz6k2p-4a1b2c3d4e5f/ HTTP/1.1" 200 1234'
    assert redact(line) == '"GET /accounts/password/reset/MQ/[redacted]/ HTTP/1.1" 200 1234'
    assert redact("/invitations/AbC_123-xyz/") == "/invitations/[redacted]/"
    assert redact("/accounts/password/reset/MQ/set-password/") == (
        "/accounts/password/reset/MQ/set-password/"
    )
    assert redact("/accounts/password/reset/done/") == "/accounts/password/reset/done/"


def test_the_filter_redacts_arguments_of_request_log_lines():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /accounts/password/reset/MQ/cz6k2p-secret/ HTTP/1.1", "302", "0"),
        None,
    )
    RedactSecretPaths().filter(record)
    assert "cz6k2p-secret" not in record.getMessage()


@pytest.mark.django_db
def test_a_this_was_not_me_link_never_reaches_the_logs(client, outbox, caplog):
    """A rate-limited or used link is answered 4xx, which Django logs with the path."""
    mia = UserFactory(email="mia@example.com")
    client.post("/accounts/login/", {"email": mia.email, "password": DEFAULT_PASSWORD})
    client.post("/accounts/security/password/", {"password": DEFAULT_PASSWORD})
    client.post("/accounts/email/change/", {"email": "new@example.org"})
    client.post("/accounts/email/change/confirm/", {"code": code_in(outbox[0])})
    undo = link_in(outbox[1]).removeprefix("https://id.example.test")
    token = undo.rstrip("/").rsplit("/", 1)[-1]
    caplog.set_level(logging.INFO)

    assert Client().post(undo).status_code == 200
    assert Client().post(undo).status_code == 400

    request_lines = [r for r in caplog.records if r.name == "django.request"]
    assert request_lines
    for record in request_lines:
        RedactSecretPaths().filter(record)
        assert token not in record.getMessage()
    assert redact(f"GET {undo} HTTP/1.1") == (
        "GET /accounts/email/change/undo/[redacted]/ HTTP/1.1"
    )


@pytest.mark.django_db
def test_the_remove_this_app_link_never_reaches_the_logs(client, outbox, caplog):
    """The "this was not me" link of a new authenticator app is redacted like the others."""
    mia = UserFactory(email="mia@example.com")
    enrol_with_inbox(sign_in(mia), outbox)
    link = disown_link(outbox[-1])
    token = link.rstrip("/").rsplit("/", 1)[-1]
    caplog.set_level(logging.INFO)

    assert Client().post(link).status_code == 200
    assert Client().post(link).status_code == 400

    request_lines = [r for r in caplog.records if r.name == "django.request"]
    assert request_lines
    for record in request_lines:
        RedactSecretPaths().filter(record)
        assert token not in record.getMessage()
    assert redact(f"GET {link} HTTP/1.1") == (
        "GET /accounts/security/authenticator/undo/[redacted]/ HTTP/1.1"
    )
