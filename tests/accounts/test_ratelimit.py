"""Guessing is slowed down: too many attempts get a 429 page that says when to come back."""

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from audit.models import AuditEvent
from core.ratelimit import parse_rules
from tests.factories import DEFAULT_PASSWORD

Action = AuditEvent.Action

LOGIN = reverse("accounts:login")
RESET = reverse("accounts:password_reset")
SIGNUP = reverse("accounts:signup")

pytestmark = pytest.mark.django_db


def test_five_wrong_passwords_pause_that_address(client, user):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        for _ in range(5):
            assert client.post(LOGIN, {"email": user.email, "password": "wrong"}).status_code == 400
        paused = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        assert paused.status_code == 429
        assert paused["Retry-After"] == "300"
        assert "Too many attempts. Try again in 5 minutes." in paused.content.decode()
        assert "_auth_user_id" not in client.session

        other = client.post(LOGIN, {"email": "someone.else@example.com", "password": "wrong"})
        assert other.status_code == 400

        traveller.shift(300)
        back = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        assert back["Location"] == "/"


def test_one_address_sending_many_sign_ins_is_paused(client):
    with time_machine.travel("2026-11-25 10:00:30+00:00", tick=False):
        for n in range(30):
            client.post(LOGIN, {"email": f"guess{n}@example.com", "password": "wrong"})
        response = client.post(LOGIN, {"email": "guess@example.com", "password": "wrong"})
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert "Too many attempts. Try again in 30 seconds." in response.content.decode()


def test_reset_requests_per_address_are_limited_the_same_for_unknown_addresses(client, user):
    for email in (user.email, "nobody@example.com"):
        for _ in range(3):
            assert client.post(RESET, {"email": email}).status_code == 302
        assert client.post(RESET, {"email": email}).status_code == 429


def test_sign_ups_per_address_are_limited(client):
    data = {"password": "a long and unusual passphrase 42"}
    for _ in range(5):
        client.post(SIGNUP, {"email": "popular@example.com", **data})
    assert client.post(SIGNUP, {"email": "popular@example.com", **data}).status_code == 429


def test_limits_can_be_turned_off_for_load_tests(client, user, settings):
    settings.HYGATE_RATE_LIMITS = "off"
    for _ in range(8):
        assert client.post(LOGIN, {"email": user.email, "password": "wrong"}).status_code == 400


def test_behind_a_proxy_each_client_has_its_own_count(client, settings):
    settings.HYGATE_TRUSTED_PROXIES = 1

    tries = iter(range(1000))

    def attempt(ip: str) -> int:
        data = {"email": f"guess{next(tries)}@example.com", "password": "x"}
        # The client may forge the left part; our proxy appends the address it saw.
        return client.post(LOGIN, data, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ip}").status_code

    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        assert {attempt("10.0.0.1") for _ in range(30)} == {400}
        assert attempt("10.0.0.1") == 429
        assert attempt("10.0.0.9") == 400


def test_rules_parse_and_typos_are_refused(settings):
    assert [(r.amount, r.seconds, r.per) for r in parse_rules("20/m/ip, 5/5m/key")] == [
        (20, 60, "ip"),
        (5, 300, "key"),
    ]
    settings.HYGATE_RATE_LIMIT_RULES = {"login": "20/minute/ip"}
    with pytest.raises(SystemCheckError, match=r"hygate\.E001"):
        call_command("check", "--tag", "hygate")


def test_check_deploy_warns_when_limits_are_off(settings):
    settings.HYGATE_RATE_LIMITS = "off"
    with pytest.raises(SystemCheckError, match=r"hygate\.W003"):
        call_command("check", "--deploy", "--tag", "hygate", "--fail-level", "WARNING")


def _wrong_sign_in(client, remote_addr: str, n: int) -> int:
    data = {"email": f"guess{n}@example.com", "password": "wrong"}
    return client.post(LOGIN, data, REMOTE_ADDR=remote_addr).status_code


def test_an_ipv6_client_is_counted_by_its_64_not_by_each_address(client):
    # One host may use any of the 2^64 addresses of its /64: each one is the same client.
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        answers = [_wrong_sign_in(client, f"2001:db8:1:2::{n + 1:x}", n) for n in range(35)]
        assert answers[:30] == [400] * 30
        assert set(answers[30:]) == {429}
        # Another /64 of the same /48 is another client, with its own budget.
        assert _wrong_sign_in(client, "2001:db8:1:3::1", 99) == 400
    sign_ins = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED)
    # The audit log keeps each full address, not the /64 counted.
    shown = set(sign_ins.values_list("ip_address", flat=True))
    assert {"2001:db8:1:2::1", "2001:db8:1:2::1e", "2001:db8:1:3::1"} <= shown
    refused = AuditEvent.objects.filter(action=Action.RATE_LIMITED).order_by("pk").first()
    assert refused.ip_address == "2001:db8:1:2::1f"


def test_an_ipv4_mapped_ipv6_address_counts_as_its_ipv4_address(client):
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        answers = [
            _wrong_sign_in(client, "::ffff:192.0.2.8" if n % 2 else "192.0.2.8", n)
            for n in range(31)
        ]
    assert answers[:30] == [400] * 30
    assert answers[30] == 429
