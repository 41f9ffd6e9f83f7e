"""Whoever reads the logs learns no code, token or key that opens an account."""

import logging
import re

import pytest
import time_machine
from django.urls import reverse

from tests.accounts.totp_app import app_code, shown_recovery_codes, shown_secret
from tests.factories import SecurityPolicyFactory
from tests.fakes.resend_api import FULL_KEY
from tests.mailbox import code_in, link_in

pytestmark = pytest.mark.django_db
PASSWORD = "a long and unusual passphrase 42"


def test_codes_secrets_and_links_of_a_whole_sign_up_never_reach_the_logs(client, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    SecurityPolicyFactory(two_factor_policy="totp")
    secrets = []
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        client.post(reverse("accounts:signup"), {"email": "new@example.com", "password": PASSWORD})
        secrets.append(code_in(outbox[-1]))
        client.post(reverse("accounts:verify"), {"code": "000000"})
        client.post(reverse("accounts:verify"), {"code": secrets[-1]})
        secrets.append(code_in(outbox[-1]))  # the second step's e-mailed code
        client.post(reverse("accounts:login_2fa"), {"action": "verify", "code": secrets[-1]})
        page = client.get(reverse("accounts:login_enrol")).content.decode()
        secrets.append(shown_secret(page))
        client.post(reverse("accounts:login_enrol"), {"code": "000000"})
        shown = client.post(reverse("accounts:login_enrol"), {"code": app_code(secrets[-1])})
        secrets += shown_recovery_codes(shown.content.decode())
        client.post(reverse("accounts:logout"))
        traveller.shift(60)
        client.post(reverse("accounts:password_reset"), {"email": "new@example.com"})
        link = link_in(outbox[-1])
        secrets.append(re.search(r"/reset/[^/]+/([^/]+)/", link).group(1))
        client.get(link.removeprefix("https://id.example.test"), follow=True)

    assert len(secrets) == 14
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "[EmailService] Email sent successfully" in logged
    for secret in secrets:
        assert secret not in logged


def test_a_code_sent_through_the_provider_never_reaches_the_logs(client, resend_api, caplog):
    caplog.set_level(logging.DEBUG)
    SecurityPolicyFactory(two_factor_policy="email")
    client.post(reverse("accounts:signup"), {"email": "new@example.com", "password": PASSWORD})
    [delivered] = resend_api.delivered
    code = re.search(r"^\s+(\d{6})\s*$", delivered["payload"]["text"], re.MULTILINE).group(1)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "[EmailService] Email sent successfully" in logged
    assert code not in logged
    assert FULL_KEY not in logged
