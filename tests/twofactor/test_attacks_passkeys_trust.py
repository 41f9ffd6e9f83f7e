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
from django.core import signing
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import device
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, SecurityPolicyFactory, UserFactory
from tests.mailbox import code_in, html_of, new_device_notices
from tests.passkey_authenticator import SoftAuthenticator, b64, unb64
from tests.twofactor.test_passkeys_sign_in import sign_in_with_passkey, with_passkey
from twofactor import trust
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
                # A loser may find its session ended by the winner's sign-in: a 400.
                answer = browser.post(SIGN_IN, {"credential": answer})
                return answer.get("Location", str(answer.status_code))
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


# --- challenges only count for their own ceremony and user ---


@pytest.mark.django_db
def test_a_sign_in_challenge_does_not_pass_a_second_step_nor_the_other_way():
    member = UserFactory()
    authenticator = SoftAuthenticator()
    with_passkey(member, authenticator)
    SecurityPolicyFactory(two_factor_policy="email")
    browser = past_the_password(member)
    sign_in_options = browser.post(SIGN_IN_OPTIONS).content.decode()
    answer = browser.post(STEP_PASSKEY, {"credential": authenticator.get(sign_in_options)})
    assert answer["Location"] == STEP and "_auth_user_id" not in browser.session

    step_options = browser.post(STEP_OPTIONS).content.decode()
    answer = browser.post(SIGN_IN, {"credential": authenticator.get(step_options)})
    assert answer["Location"] == LOGIN and "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_a_registration_challenge_answered_as_a_sign_in_is_refused():
    member = UserFactory()
    authenticator = SoftAuthenticator()
    with_passkey(member, authenticator)
    browser = stepped_up(UserFactory())
    registration = json.loads(browser.post(ADD_OPTIONS).content)
    browser.post(SIGN_IN_OPTIONS)  # a sign-in challenge is waiting too
    answer = browser.post(SIGN_IN, {"credential": authenticator.get(registration)})
    assert answer["Location"] == LOGIN


@pytest.mark.django_db
def test_a_second_step_challenge_made_for_one_user_does_not_pass_anothers():
    alice, bob = UserFactory(), UserFactory()
    alices_key, bobs_key = SoftAuthenticator(), SoftAuthenticator()
    with_passkey(alice, alices_key)
    with_passkey(bob, bobs_key)
    SecurityPolicyFactory(two_factor_policy="email")
    browser = past_the_password(alice)
    options = browser.post(STEP_OPTIONS).content.decode()
    browser.post(LOGIN, {"email": bob.email, "password": DEFAULT_PASSWORD})  # now Bob's
    answer = browser.post(STEP_PASSKEY, {"credential": bobs_key.get(options)})
    assert answer["Location"] == STEP and "_auth_user_id" not in browser.session


# --- the sign count: two uses with one count at once, one is refused ---


@only_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_uses_with_the_same_count_at_once_let_one_in(settings, outbox):
    settings.HYGATE_RATE_LIMITS = "off"
    member = UserFactory()
    authenticator = SoftAuthenticator()
    with_passkey(member, authenticator)
    browsers = [Client() for _ in range(4)]
    answers = [
        authenticator.get(b.post(SIGN_IN_OPTIONS).content.decode(), sign_count=7) for b in browsers
    ]
    start = threading.Barrier(len(browsers))

    def post(pair) -> str:
        browser, answer = pair
        try:
            start.wait()
            return browser.post(SIGN_IN, {"credential": answer})["Location"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        landings = list(pool.map(post, zip(browsers, answers, strict=True)))
    assert landings.count("/") == 1
    assert Passkey.objects.get().sign_count == 7


# --- open redirects and CSRF ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example", "///evil"],
)
def test_a_passkey_sign_in_never_lands_on_another_site(next_url):
    member = UserFactory()
    authenticator = SoftAuthenticator()
    with_passkey(member, authenticator)
    assert sign_in_with_passkey(Client(), authenticator, next_url=next_url)["Location"] == "/"


@pytest.mark.django_db
def test_every_passkey_and_trust_post_needs_the_csrf_token():
    member = UserFactory()
    passkey = with_passkey(member, SoftAuthenticator())
    browser = Client(enforce_csrf_checks=True)
    for url in (SIGN_IN_OPTIONS, SIGN_IN, STEP_OPTIONS, STEP_PASSKEY):
        assert browser.post(url, {"credential": "{}"}).status_code == 403, url
    browser.force_login(member)
    token = browser.get(STEP_UP).context["csrf_token"]
    assert browser.post(STEP_UP, {"password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token})
    posts = [
        ADD_OPTIONS,
        ADD,
        reverse("accounts:security_passkey_rename", args=[passkey.pk]),
        reverse("accounts:security_passkey_remove", args=[passkey.pk]),
        reverse("accounts:security_passkey_undo", args=["x" * 43]),
        reverse("accounts:security_stop_trusting", args=[1]),
    ]
    for url in posts:
        assert browser.post(url, {"name": "Evil"}).status_code == 403, url
    assert Passkey.objects.get().name == "Laptop"


# --- a thief with only a session ---


@pytest.mark.django_db
def test_a_copied_session_renames_and_removes_no_passkey_without_the_step_up(outbox):
    member = UserFactory()
    passkey = with_passkey(member, SoftAuthenticator())
    outbox.clear()
    thief = Client()
    thief.force_login(member)
    rename = reverse("accounts:security_passkey_rename", args=[passkey.pk])
    remove = reverse("accounts:security_passkey_remove", args=[passkey.pk])
    assert thief.post(rename, {"name": "Owned"})["Location"].startswith(STEP_UP)
    assert thief.post(remove)["Location"].startswith(STEP_UP)
    assert thief.post(ADD_OPTIONS)["Location"].startswith(STEP_UP)
    assert Passkey.objects.get().name == "Laptop" and outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "evil\u2024com",  # one dot leader
        "evil\ufe52com",  # small full stop
        "evil\uff0ecom",  # fullwidth full stop
        "evil\u3002com",  # ideographic full stop
        "Laptop \u202eloot.evil",  # right-to-left override
        "Call \uff11\uff12\uff13 \uff14\uff15\uff16 \uff17\uff18\uff19",  # fullwidth digits
        "evil\u200b.com",  # zero-width space
    ],
)
def test_a_passkey_name_carries_no_look_alike_link_or_number(name):
    browser = stepped_up(UserFactory())
    options = browser.post(ADD_OPTIONS).content.decode()
    answer = browser.post(ADD, {"name": name, "credential": SoftAuthenticator().create(options)})
    assert answer.status_code == 400 and not Passkey.objects.exists()


@pytest.mark.django_db
def test_a_name_longer_than_sixty_characters_is_refused():
    browser = stepped_up(UserFactory())
    options = browser.post(ADD_OPTIONS).content.decode()
    answer = browser.post(
        ADD, {"name": "a" * 61, "credential": SoftAuthenticator().create(options)}
    )
    assert answer.status_code == 400 and not Passkey.objects.exists()


# --- what a refusal tells a stranger ---


@pytest.mark.django_db
def test_a_disabled_accounts_passkey_is_refused_like_an_unknown_one():
    member, gone = UserFactory(), UserFactory()
    members_key, forgotten_key = SoftAuthenticator(), SoftAuthenticator()
    with_passkey(member, members_key)
    with_passkey(gone, forgotten_key)
    Passkey.objects.filter(user=gone).delete()
    member.is_active = False
    member.save()

    pages = []
    for key in (members_key, forgotten_key):
        browser = Client()
        assert sign_in_with_passkey(browser, key)["Location"] == LOGIN
        pages.append(browser.get(LOGIN).content.decode())
    assert "not registered here" in pages[0]
    assert pages[0].count("not registered here") == pages[1].count("not registered here")
    assert member.email not in pages[0]


# --- rate limits: one IPv6 /64 is one client ---


@pytest.mark.django_db
def test_a_whole_ipv6_64_shares_one_passkey_budget(settings):
    settings.HYGATE_RATE_LIMIT_RULES = {**settings.HYGATE_RATE_LIMIT_RULES, "passkey": "3/m/ip"}
    answers = [
        Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}").post(SIGN_IN_OPTIONS).status_code
        for n in range(1, 5)
    ]
    assert answers == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post(SIGN_IN_OPTIONS).status_code == 200


# --- new-device notices: a thief cannot keep the owner from being told ---


@pytest.fixture
def owner(outbox):
    """A member who signed in before, from her own laptop (that sign-in sent no notice)."""
    member = UserFactory(email="owner@example.com")
    laptop = Client()
    laptop.post(LOGIN, {"email": member.email, "password": DEFAULT_PASSWORD})
    outbox.clear()
    return member


def _notices(outbox) -> list:
    return new_device_notices(outbox)


@pytest.mark.django_db
def test_a_forged_or_foreign_device_cookie_does_not_silence_the_notice(owner, outbox):
    thief = Client()
    thief.post(LOGIN, {"email": UserFactory().email, "password": DEFAULT_PASSWORD})
    own_cookie = thief.cookies[device.COOKIE_NAME].value  # names the thief's own account
    forged = signing.dumps({"a": [device._account_tag(owner.email)], "d": "x"}, salt="other")
    for cookie in (own_cookie, forged, "junk", own_cookie + "x"):
        outbox.clear()
        browser = Client()
        browser.cookies[device.COOKIE_NAME] = cookie
        answer = browser.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
        assert answer["Location"] == "/"
        assert [m.to for m in _notices(outbox)] == [["owner@example.com"]], cookie


@pytest.mark.django_db
def test_a_passkey_sign_in_from_a_new_browser_tells_the_owner_too(owner, outbox):
    authenticator = SoftAuthenticator()
    with_passkey(owner, authenticator)
    outbox.clear()
    assert sign_in_with_passkey(Client(), authenticator)["Location"] == "/"
    assert [m.to for m in _notices(outbox)] == [["owner@example.com"]]


@pytest.mark.django_db
def test_a_huge_or_crafted_user_agent_reaches_neither_the_notice_nor_a_crash(owner, outbox):
    crafted = "Mozilla/5.0 \u202e moc.live//:sptth " + "A" * 50_000
    browser = Client(HTTP_USER_AGENT=crafted)
    assert browser.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
    [notice] = _notices(outbox)
    assert "moc.live" not in notice.body and "AAAA" not in notice.body
    assert browser.get(SECURITY).status_code == 200


@pytest.mark.django_db
def test_an_ipv6_zone_in_a_forwarded_address_reaches_no_notice(owner, outbox, settings):
    # A proxy count set one too high lets the client write the address the site reads.
    settings.HYGATE_TRUSTED_PROXIES = 1
    lure = "fe80::1%Call 555 0100 or see evil.example"
    browser = Client(HTTP_X_FORWARDED_FOR=lure)
    browser.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
    [notice] = _notices(outbox)
    for text in (notice.body, html_of(notice)):
        assert "evil.example" not in text and "555" not in text
        assert "fe80::1" in text


# --- trusted browsers: the cookie counts only where and while it was given ---


def _trusted_browser(user, outbox) -> Client:
    """Pass the e-mailed code with the box ticked (policy `email`); return that browser."""
    browser = Client()
    assert (
        browser.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})["Location"] == STEP
    )
    code = code_in([m for m in outbox if "code" in m.subject.lower()][-1])
    answer = browser.post(STEP, {"action": "verify", "code": code, "trust_browser": "on"})
    assert answer["Location"] == "/"
    browser.post(reverse("accounts:logout"))
    return browser


@pytest.mark.django_db
def test_a_trust_cookie_copied_to_another_browser_never_skips_the_password(outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    trusted = _trusted_browser(member, outbox)
    copy = Client()
    copy.cookies[trust.COOKIE_NAME] = trusted.cookies[trust.COOKIE_NAME].value
    wrong = copy.post(LOGIN, {"email": member.email, "password": "not the password"})
    assert wrong.status_code != 302 and "_auth_user_id" not in copy.session
    # nor any page but the sign-in's second step: the cookie is no session
    assert copy.get(SECURITY)["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_a_trusted_browser_still_asks_the_step_up_before_adding_a_passkey(outbox):
    SecurityPolicyFactory(two_factor_policy="email")
    member = UserFactory()
    trusted = _trusted_browser(member, outbox)
    answer = trusted.post(LOGIN, {"email": member.email, "password": DEFAULT_PASSWORD})
    assert answer["Location"] == "/"  # the code was skipped
    assert trusted.post(ADD_OPTIONS)["Location"].startswith(STEP_UP)
    # the password alone is not the step-up under `email`: it wants a fresh code
    answer = trusted.post(STEP_UP, {"password": DEFAULT_PASSWORD, "next": SECURITY})
    assert answer.status_code != 302 or not answer["Location"].startswith(SECURITY)
    assert trusted.post(ADD_OPTIONS)["Location"].startswith(STEP_UP)
