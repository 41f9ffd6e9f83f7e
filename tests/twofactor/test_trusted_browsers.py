"""Trusting a browser for 30 days at the second step: it skips that step, never the password."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.accounts.totp_app import app_code, shown_secret
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.mailbox import besides_new_device, code_in, link_in
from twofactor.models import TrustedBrowser

LOGIN = reverse("accounts:login")
STEP = reverse("accounts:login_2fa")
ENROL = reverse("accounts:login_enrol")
LOGOUT = reverse("accounts:logout")
SECURITY = reverse("accounts:security")
STEP_UP = reverse("accounts:security_reauthenticate")
END_OTHERS = reverse("accounts:security_end_other_sessions")
CHANGE = reverse("accounts:password_change")
RESET = reverse("accounts:password_reset")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
NEW = "a brand new passphrase 2026"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _email_policy():
    SecurityPolicyFactory(two_factor_policy="email")


def sign_in(client, user, password=DEFAULT_PASSWORD):
    return client.post(LOGIN, {"email": user.email, "password": password})


def mailed_code(outbox) -> str:
    return code_in([m for m in outbox if "code" in m.subject.lower()][-1])


def sign_in_with_code(client, user, outbox, *, trust: bool):
    """Password, then the e-mailed code (with the box ticked or not); return the answer."""
    assert sign_in(client, user)["Location"] == STEP
    data = {"action": "verify", "code": mailed_code(outbox)}
    if trust:
        data["trust_browser"] = "on"
    answer = client.post(STEP, data)
    assert answer["Location"] == "/"
    return answer


def step_up(client, outbox, next_url):
    """Give the password and a fresh e-mailed code again, as changes ask under `email`."""
    assert client.post(STEP_UP, {"action": "send", "next": next_url}).status_code == 302
    code = code_in(besides_new_device(outbox)[-1])
    data = {"password": DEFAULT_PASSWORD, "code": code, "next": next_url}
    assert client.post(STEP_UP, data)["Location"] == next_url


def trusted_section(page) -> str:
    return page.content.decode().split('id="trusted-title"')[1].split("</section>")[0]


def skips_the_step(client, user) -> bool:
    """Sign out, sign in again with the password; say whether it landed without a code."""
    client.post(LOGOUT)
    return sign_in(client, user)["Location"] == "/"


def test_the_box_is_there_unticked_in_every_code_form(client, outbox):
    member = UserFactory()
    RecoveryCodeFactory(user=member, code="abcde-fghij")
    AuthenticatorFactory(user=member)
    SecurityPolicyFactory(two_factor_policy="either")
    sign_in(client, member)

    page = client.get(STEP).content.decode()

    assert page.count("Trust this browser for 30 days") == 2  # the code's and recovery's
    assert 'type="checkbox" name="trust_browser"' in page
    assert "checked" not in page
    assert 'id="id_trust_browser"' in page and 'id="id_recovery_trust_browser"' in page


def test_a_trusted_browser_skips_the_second_step_for_30_days_but_never_the_password(outbox):
    mia = UserFactory(email="mia@example.com")
    laptop = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.7")

    with time_machine.travel(NOW, tick=False):
        answer = sign_in_with_code(laptop, mia, outbox, trust=True)
        cookie = answer.cookies["hygate_trust"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        assert cookie["max-age"] == 30 * 24 * 3600
        row = TrustedBrowser.objects.get(user=mia)
        assert row.token_hash not in cookie.value  # the cookie holds the token, the row its hash
        assert (row.method, str(row.ip_address)) == ("email", "203.0.113.7")
        assert row.expires_at == timezone.now() + timedelta(days=30)

        outbox.clear()
        assert skips_the_step(laptop, mia)
        assert outbox == []  # no code was mailed
        assert laptop.session["hygate.second_step"] == "email"  # the step it was trusted with
        skipped = AuditEvent.objects.get(action="second_step_skipped_trusted")
        assert (skipped.target_user, skipped.details["method"]) == (mia, "email")
        assert AuditEvent.objects.filter(action="browser_trusted", target_user=mia).count() == 1

        laptop.post(LOGOUT)
        wrong = laptop.post(LOGIN, {"email": mia.email, "password": "not the password"})
        assert wrong.status_code == 400  # the password is always asked

    with time_machine.travel(NOW + timedelta(days=29, hours=23), tick=False):
        assert skips_the_step(laptop, mia)
    with time_machine.travel(NOW + timedelta(days=30, minutes=1), tick=False):
        laptop.post(LOGOUT)
        assert sign_in(laptop, mia)["Location"] == STEP


def test_an_unticked_box_trusts_nothing(client, outbox):
    mia = UserFactory()
    answer = sign_in_with_code(client, mia, outbox, trust=False)

    assert "hygate_trust" not in answer.cookies
    assert not TrustedBrowser.objects.exists()
    assert not skips_the_step(client, mia)


def test_the_recovery_code_form_and_the_app_trust_the_browser_too(client, outbox):
    SecurityPolicyFactory(two_factor_policy="totp")
    mia = UserFactory()
    app = AuthenticatorFactory(user=mia)
    RecoveryCodeFactory(user=mia, code="abcde-fghij")

    with time_machine.travel(NOW, tick=False):
        sign_in(client, mia)
        answer = client.post(
            STEP, {"action": "recovery", "recovery_code": "abcde-fghij", "trust_browser": "on"}
        )
        assert answer["Location"] == "/"
        assert TrustedBrowser.objects.get(user=mia).method == "recovery"
        assert skips_the_step(client, mia)
        # A recovery code is the app's own fallback: the session counts as one that passed it.
        assert client.session["hygate.second_step"] == "recovery"

        phone = Client()
        sign_in(phone, mia)
        phone.post(
            STEP, {"action": "verify", "code": app_code(app.get_secret()), "trust_browser": "on"}
        )
        assert skips_the_step(phone, mia)
        assert phone.session["hygate.second_step"] == "totp"
    assert TrustedBrowser.objects.filter(user=mia).count() == 2


def test_trust_given_for_an_emailed_code_skips_nothing_once_the_app_is_required(client, outbox):
    mia = UserFactory()
    sign_in_with_code(client, mia, outbox, trust=True)
    SecurityPolicyFactory(two_factor_policy="totp")
    AuthenticatorFactory(user=mia)

    assert not skips_the_step(client, mia)


def test_another_accounts_cookie_counts_for_nothing(client, outbox):
    mia, noah = UserFactory(), UserFactory()
    sign_in_with_code(client, mia, outbox, trust=True)
    client.post(LOGOUT)

    assert sign_in(client, noah)["Location"] == STEP  # Mia's trust is not Noah's


def test_a_forged_or_copied_over_cookie_counts_for_nothing(outbox):
    mia = UserFactory()
    laptop = Client()
    sign_in_with_code(laptop, mia, outbox, trust=True)
    token_cookie = laptop.cookies["hygate_trust"].value

    forged = Client()
    forged.cookies["hygate_trust"] = signing.dumps(
        ["a-guessed-token"], salt="hygate.twofactor.trust"
    )
    assert sign_in(forged, mia)["Location"] == STEP

    unsigned = Client()
    unsigned.cookies["hygate_trust"] = token_cookie.rsplit(":", 2)[0] + ":AAAA:BBBB"
    assert sign_in(unsigned, mia)["Location"] == STEP

    wrong_salt = Client()
    wrong_salt.cookies["hygate_trust"] = signing.dumps(
        signing.loads(token_cookie, salt="hygate.twofactor.trust")
    )
    assert sign_in(wrong_salt, mia)["Location"] == STEP


def test_several_accounts_share_one_browser(client, outbox):
    mia, noah = UserFactory(), UserFactory()
    sign_in_with_code(client, mia, outbox, trust=True)
    client.post(LOGOUT)
    sign_in_with_code(client, noah, outbox, trust=True)

    assert skips_the_step(client, noah)
    assert skips_the_step(client, mia)
    assert TrustedBrowser.objects.count() == 2


def test_the_security_page_lists_trusted_browsers_and_stops_trusting_one(outbox):
    mia = UserFactory()
    laptop = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.7")
    phone = Client(REMOTE_ADDR="198.51.100.4")
    with time_machine.travel(NOW, tick=False):
        sign_in_with_code(laptop, mia, outbox, trust=True)
        sign_in_with_code(phone, mia, outbox, trust=True)

        page = trusted_section(laptop.get(SECURITY))
        assert "Firefox on Windows" in page and "This browser" in page
        assert "203.0.113.7" in page and "198.51.100.4" in page
        assert "trusted since 25 Nov 2026, 10:00 UTC" in page
        assert "expires 25 Dec 2026" in page

        phone_row = TrustedBrowser.objects.get(ip_address="198.51.100.4")
        stop = reverse("accounts:security_stop_trusting", args=[phone_row.pk])
        assert laptop.get(stop).status_code == 405  # a link cannot do it: POST only
        assert laptop.post(stop)["Location"] == SECURITY  # no step-up: it only takes away
        assert "198.51.100.4" not in trusted_section(laptop.get(SECURITY))
        event = AuditEvent.objects.get(action="trusted_browser_revoked")
        assert event.details["reason"] == "requested"

        assert not skips_the_step(phone, mia)
        assert skips_the_step(laptop, mia)


def test_nobody_stops_trusting_someone_elses_browser(client, outbox):
    mia, noah = UserFactory(), UserFactory()
    sign_in_with_code(Client(), mia, outbox, trust=True)
    client.force_login(noah)

    row = TrustedBrowser.objects.get(user=mia)
    client.post(reverse("accounts:security_stop_trusting", args=[row.pk]))

    assert TrustedBrowser.objects.filter(pk=row.pk).exists()


def test_a_password_change_stops_trusting_every_browser(outbox):
    mia = UserFactory()
    laptop, phone = Client(), Client()
    with time_machine.travel(NOW, tick=False) as clock:
        sign_in_with_code(phone, mia, outbox, trust=True)
        sign_in_with_code(laptop, mia, outbox, trust=True)
        clock.shift(timedelta(minutes=1))  # past the cooldown between two codes

        step_up(laptop, outbox, CHANGE)
        changed = laptop.post(CHANGE, {"new_password1": NEW, "new_password2": NEW})
        assert changed["Location"] == SECURITY

    assert not TrustedBrowser.objects.exists()
    laptop.post(LOGOUT)
    assert sign_in(laptop, mia, NEW)["Location"] == STEP
    assert sign_in(phone, mia, NEW)["Location"] == STEP


def test_a_password_reset_stops_trusting_every_browser(client, outbox):
    mia = UserFactory()
    sign_in_with_code(client, mia, outbox, trust=True)
    client.post(LOGOUT)

    outbox.clear()
    client.post(RESET, {"email": mia.email})
    link = link_in(outbox[0]).removeprefix("https://id.example.test")
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})

    assert not TrustedBrowser.objects.exists()
    assert sign_in(client, mia, NEW)["Location"] == STEP


def test_a_new_password_set_anywhere_ends_the_trust_even_without_a_sign_out(client, outbox):
    mia = UserFactory()
    sign_in_with_code(client, mia, outbox, trust=True)
    client.post(LOGOUT)
    mia.set_password(NEW)  # as a shell or a future flow might: the row no longer counts
    mia.save()

    assert sign_in(client, mia, NEW)["Location"] == STEP


def test_ending_all_other_sessions_stops_trusting_every_browser(outbox):
    mia = UserFactory()
    laptop, phone = Client(), Client()
    with time_machine.travel(NOW, tick=False) as clock:
        sign_in_with_code(phone, mia, outbox, trust=True)
        sign_in_with_code(laptop, mia, outbox, trust=True)
        clock.shift(timedelta(minutes=1))  # past the cooldown between two codes

        step_up(laptop, outbox, SECURITY)
        assert laptop.post(END_OTHERS)["Location"] == SECURITY

    assert not TrustedBrowser.objects.exists()  # this browser's too: we chose all of them
    event = AuditEvent.objects.get(action="trusted_browser_revoked")
    assert (event.details["revoked"], event.details["reason"]) == (2, "requested")
    assert not skips_the_step(phone, mia)
    assert not skips_the_step(laptop, mia)


def test_a_staff_two_factor_reset_stops_trusting_every_browser(client, outbox):
    mia = UserFactory()
    browser = Client()
    sign_in_with_code(browser, mia, outbox, trust=True)
    operator = UserFactory(staff=True, is_superuser=True)
    client.force_login(operator)

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [mia.pk]},
    )

    assert not TrustedBrowser.objects.exists()
    event = AuditEvent.objects.get(action="trusted_browser_revoked")
    assert event.details["reason"] == "two_factor_reset_by_staff"
    assert not skips_the_step(browser, mia)
    assert besides_new_device(outbox)  # the reset's own notice went out


def test_a_box_ticked_before_a_required_app_is_set_up_trusts_the_browser_for_the_app(
    client, outbox
):
    SecurityPolicyFactory(two_factor_policy="totp")
    mia = UserFactory()
    with time_machine.travel(NOW, tick=False):
        assert sign_in(client, mia)["Location"] == STEP
        typed = {"action": "verify", "code": mailed_code(outbox), "trust_browser": "on"}
        assert client.post(STEP, typed)["Location"] == ENROL
        assert not TrustedBrowser.objects.exists()  # not before the sign-in completes

        secret = shown_secret(client.get(ENROL).content.decode())
        assert client.post(ENROL, {"code": app_code(secret)}).status_code == 200

        assert TrustedBrowser.objects.get(user=mia).method == "totp"
        assert skips_the_step(client, mia)


def test_a_browser_trusted_with_the_app_opens_the_staff_pages_and_one_trusted_by_mail_does_not(
    settings, outbox
):
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    root = UserFactory(is_staff=True, is_superuser=True)
    app = AuthenticatorFactory(user=root)
    browser = Client()
    with time_machine.travel(NOW, tick=False):
        sign_in(browser, root)
        code = {"action": "verify", "code": app_code(app.get_secret()), "trust_browser": "on"}
        assert browser.post(STEP, code)["Location"] == "/"

        assert skips_the_step(browser, root)
        assert browser.get("/admin/").status_code == 200

    # Trusted by mail before staff had to use the app: that trust skips nothing now.
    settings.HYGATE_STAFF_REQUIRE_TOTP = False
    olive = UserFactory(is_staff=True)
    laptop = Client()
    sign_in_with_code(laptop, olive, outbox, trust=True)
    assert TrustedBrowser.objects.get(user=olive).method == "email"
    settings.HYGATE_STAFF_REQUIRE_TOTP = True
    assert not skips_the_step(laptop, olive)


def test_granting_staff_status_ends_the_trust_with_the_sessions(outbox):
    mia = UserFactory()
    sign_in_with_code(Client(), mia, outbox, trust=True)

    mia.is_staff = True
    mia.save()

    assert not TrustedBrowser.objects.filter(user=mia).exists()


def test_an_operator_ending_all_sessions_stops_trusting_every_browser(client, outbox):
    mia = UserFactory()
    sign_in_with_code(client, mia, outbox, trust=True)

    call_command("end_sessions", "--user", mia.email, stdout=StringIO())

    assert not TrustedBrowser.objects.exists()
    assert AuditEvent.objects.get(action="trusted_browser_revoked").details["reason"] == "command"
    assert not skips_the_step(client, mia)


def test_the_two_boxes_on_one_page_share_no_id(client):
    SecurityPolicyFactory(two_factor_policy="totp")
    member = AuthenticatorFactory().user
    RecoveryCodeFactory(user=member, code="abcde-fghij")
    sign_in(client, member)

    page = client.get(STEP).content.decode()

    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_removing_the_app_stops_trusting_every_browser(outbox):
    """A browser trusted with an app (a phished code, say) skips nothing once the app is gone."""
    SecurityPolicyFactory(two_factor_policy="either")
    app = AuthenticatorFactory(user=UserFactory())
    mia, secret = app.user, app.get_secret()
    browser = Client()
    with time_machine.travel(NOW, tick=False) as clock:
        assert sign_in(browser, mia)["Location"] == STEP
        typed = {"action": "verify", "code": app_code(secret), "trust_browser": "on"}
        assert browser.post(STEP, typed)["Location"] == "/"
        assert TrustedBrowser.objects.filter(user=mia).exists()

        clock.shift(60)
        remove = reverse("accounts:security_remove_authenticator")
        browser.post(STEP_UP, {"password": DEFAULT_PASSWORD, "code": app_code(secret)})
        assert browser.post(remove)["Location"] == SECURITY

    assert not TrustedBrowser.objects.filter(user=mia).exists()
    event = AuditEvent.objects.get(action="trusted_browser_revoked")
    assert event.details["reason"] == "authenticator_removed"
    assert not skips_the_step(browser, mia)
