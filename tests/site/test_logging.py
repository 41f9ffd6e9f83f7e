"""Tokens that travel in links never reach the logs."""

import logging

from core.logging import RedactSecretPaths, redact


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
