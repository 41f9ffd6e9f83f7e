"""Attacks on passkeys, trusted browsers and new-device notices, each written as a test.

Whoever runs them: a stranger with nothing, a thief with only the password, a thief with
only a copied session. The passkeys come from the software authenticator of
tests/passkey_authenticator.py and are checked by the real `webauthn` library.
"""

import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import cbor2
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, SecurityPolicyFactory, UserFactory
from tests.passkey_authenticator import SoftAuthenticator, b64, unb64
from tests.twofactor.test_passkeys_sign_in import sign_in_with_passkey, with_passkey
from twofactor.models import Passkey, SpentPasskeyChallenge

LOGIN = reverse("accounts:login")
SIGN_IN = reverse("accounts:passkey_login")
SIGN_IN_OPTIONS = reverse("accounts:passkey_login_options")
STEP = reverse("accounts:login_2fa")
STEP_PASSKEY = reverse("accounts:passkey_second_step")
STEP_OPTIONS = reverse("accounts:passkey_second_step_options")
SECURITY = reverse("accounts:security")
STEP_UP = reverse("accounts:security_reauthenticate")
ADD = reverse("accounts:security_passkey_add")
ADD_OPTIONS = reverse("accounts:security_passkey_options")

only_on_postgresql = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises every write; this race needs PostgreSQL",
)

# Junk a stranger can post as the `credential` of a passkey form (each under 16,000 chars).
JUNK_CREDENTIALS = [
    "",
    "not json",
    "null",
    "42",
    '"a string"',
    "[]",
    "{}",
    '{"rawId": null}',
    '{"rawId": 42}',
    '{"rawId": ["a"]}',
    '{"rawId": {"a": 1}}',
    '{"rawId": "é"}',
    '{"rawId": "!!!"}',
    '{"rawId": "AAAA", "id": "AAAA", "response": []}',
    '{"rawId": "AAAA", "id": "AAAA", "response": {"transports": 5}}',
    "[" * 15_000,
    '{"rawId": ' + "[" * 14_000,
    '{"a": ' * 2_500 + "1" + "}" * 2_500,
    "\x00" * 100,
    "{" + '"a": 1, ' * 1_500 + '"rawId": "AAAA"}',
]


def stepped_up(user) -> Client:
    browser = Client()
    browser.force_login(user)
    answer = browser.post(STEP_UP, {"password": DEFAULT_PASSWORD, "next": SECURITY})
    assert answer.status_code == 302
    return browser


def past_the_password(user) -> Client:
    browser = Client()
    answer = browser.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert answer["Location"] == STEP
    return browser


# --- junk in the `credential` field never crashes a view ---


@pytest.mark.django_db
@pytest.mark.parametrize("junk", JUNK_CREDENTIALS, ids=range(len(JUNK_CREDENTIALS)))
def test_junk_at_the_passkey_sign_in_is_refused_not_a_crash(junk):
    browser = Client()
    browser.post(SIGN_IN_OPTIONS)
    answer = browser.post(SIGN_IN, {"credential": junk})
    assert answer.status_code == 303 and answer["Location"] == LOGIN
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
@pytest.mark.parametrize("junk", JUNK_CREDENTIALS, ids=range(len(JUNK_CREDENTIALS)))
def test_junk_at_the_passkey_second_step_is_refused_not_a_crash(junk):
    member = UserFactory()
    with_passkey(member, SoftAuthenticator())
    SecurityPolicyFactory(two_factor_policy="email")
    browser = past_the_password(member)
    browser.post(STEP_OPTIONS)
    answer = browser.post(STEP_PASSKEY, {"credential": junk})
    assert answer.status_code == 303 and answer["Location"] == STEP
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
@pytest.mark.parametrize("junk", JUNK_CREDENTIALS, ids=range(len(JUNK_CREDENTIALS)))
def test_junk_when_adding_a_passkey_is_refused_not_a_crash(junk):
    browser = stepped_up(UserFactory())
    browser.post(ADD_OPTIONS)
    answer = browser.post(ADD, {"name": "Junk", "credential": junk})
    assert answer.status_code == 400
    assert not Passkey.objects.exists()


@pytest.mark.django_db
def test_a_huge_credential_is_refused_without_being_read():
    browser = Client()
    browser.post(SIGN_IN_OPTIONS)
    answer = browser.post(SIGN_IN, {"credential": "[" * 2_000_000})
    assert answer.status_code == 303 and answer["Location"] == LOGIN


@pytest.mark.django_db
def test_several_credential_fields_are_not_a_crash():
    browser = Client()
    browser.post(SIGN_IN_OPTIONS)
    answer = browser.post(SIGN_IN, {"credential": ["{}", "[]"]})
    assert answer.status_code == 303


# --- a credential id longer than WebAuthn allows (1,023 bytes) ---


def _with_credential_id(answer: str, length: int) -> str:
    """Rewrite a registration answer of the software authenticator with a longer id."""
    data = json.loads(answer)
    attestation = cbor2.loads(unb64(data["response"]["attestationObject"]))
    auth_data = attestation["authData"]
    old_length = int.from_bytes(auth_data[53:55], "big")
    new_id = secrets.token_bytes(length)  # random: an index cannot compress it
    auth_data = auth_data[:53] + length.to_bytes(2, "big") + new_id + auth_data[55 + old_length :]
    attestation["authData"] = auth_data
    data["response"]["attestationObject"] = b64(cbor2.dumps(attestation))
    data["id"] = data["rawId"] = b64(new_id)
    return json.dumps(data)


@pytest.mark.django_db
def test_a_credential_id_longer_than_webauthn_allows_is_refused():
    # On PostgreSQL a random id past ~2,700 bytes does not fit the unique index: a 500.
    browser = stepped_up(UserFactory())
    options = browser.post(ADD_OPTIONS).content.decode()
    answer = _with_credential_id(SoftAuthenticator().create(options), 3_000)
    response = browser.post(ADD, {"name": "Long", "credential": answer})
    assert response.status_code == 400
    assert not Passkey.objects.exists()


# --- one answer, two sign-ins at the same moment ---


@only_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_passkey_answer_posted_twice_at_once_signs_in_once(settings):
    settings.HYGATE_RATE_LIMITS = "off"
    member = UserFactory()
    authenticator = SoftAuthenticator(counts=False)  # a synced passkey: its counter stays 0
    with_passkey(member, authenticator)
    rounds, replayed = 8, 0
    for _ in range(rounds):
        victim = Client()
        answer = authenticator.get(victim.post(SIGN_IN_OPTIONS).content.decode())
        copies = [Client() for _ in range(4)]
        for copy in copies:
            copy.cookies = victim.cookies  # the same session, the same answer
        start = threading.Barrier(len(copies))

        def post(browser: Client, answer=answer, start=start) -> str:
            try:
                start.wait()
                return browser.post(SIGN_IN, {"credential": answer})["Location"]
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            landings = list(pool.map(post, copies))
        replayed += landings.count("/") - 1
        assert landings.count("/") >= 1
    assert replayed == 0
    assert AuditEvent.objects.filter(action="passkey_sign_in").count() == rounds


@pytest.mark.django_db
def test_spent_challenges_are_purged_once_they_would_have_expired():
    member = UserFactory()
    authenticator = SoftAuthenticator()
    with_passkey(member, authenticator)
    assert sign_in_with_passkey(Client(), authenticator)["Location"] == "/"
    assert SpentPasskeyChallenge.objects.count() == 2  # adding it, then signing in
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert SpentPasskeyChallenge.objects.count() == 2
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        call_command("purge_expired", stdout=out)
    assert not SpentPasskeyChallenge.objects.exists()
    assert "spent passkey challenges removed" in out.getvalue()
