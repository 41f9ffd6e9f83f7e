"""A reviewer traces what happened in Settings -> Audit log; nothing breaks for want of a log."""

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from audit.events import Action, record
from audit.models import AuditEvent
from organisations.models import Invitation, Role
from tests.accounts.staff_sign_in import sign_in_with_app
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    MembershipFactory,
    UserFactory,
)
from tests.fakes.resend_api import Failure
from twofactor import authenticators

AUDIT = reverse("audit_log")
LOGIN = reverse("accounts:login")

pytestmark = pytest.mark.django_db


def auditor(*codenames):
    staff = UserFactory(staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="audit", codename__in=codenames)
    )
    client = Client(REMOTE_ADDR="192.0.2.200")
    client.force_login(staff)
    return client


def test_the_audit_log_lives_at_settings_audit_and_only_its_viewers_open_it(client):
    assert AUDIT == "/settings/audit/"
    assert client.get(AUDIT)["Location"] == f"/accounts/login/?next={AUDIT}"
    assert auditor().get(AUDIT).status_code == 403  # staff, but without the view permission
    member = Client()
    member.force_login(UserFactory())
    assert member.get(AUDIT).status_code == 403
    assert auditor("view_auditevent").get(AUDIT).status_code == 200
    # Nothing on it changes anything.
    assert auditor("view_auditevent", "change_auditevent").post(AUDIT).status_code == 405


def test_a_reviewer_sees_who_did_what_when_and_from_where(outbox):
    owner = UserFactory(email="ada@example.com")
    MembershipFactory(user=owner, organisation__slug="acme", role=Role.OWNER)
    browser = Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Firefox/128.0 (Windows)")
    browser.force_login(owner)
    browser.post("/orgs/acme/", {"action": "invite", "email": "grace@example.com", "role": "admin"})
    grace = UserFactory(email="grace@example.com")
    invitee = Client(REMOTE_ADDR="203.0.113.9")
    invitee.force_login(grace)
    invitation = Invitation.objects.get()
    invitee.post("/orgs/", {"action": "accept", "invitation": invitation.pk})
    Client(REMOTE_ADDR="203.0.113.50").post(
        reverse("accounts:password_reset"), {"email": "grace@example.com"}
    )

    page = auditor("view_auditevent").get(AUDIT).content.decode()

    assert "Sent an invitation" in page and "198.51.100.7" in page and "Firefox on Windows" in page
    assert "Accepted an invitation" in page and "203.0.113.9" in page
    assert "Asked for a password reset" in page and "203.0.113.50" in page
    admin_link = reverse("admin:accounts_user_change", args=[owner.pk])
    assert f'href="{admin_link}"' in page
    sent = AuditEvent.objects.get(action=Action.INVITATION_SENT)
    assert (sent.actor, sent.target, sent.details["role"]) == (owner, "acme", "admin")
    # The invitation's token is nowhere in the log.
    token = outbox[0].body.split("/invitations/")[1].split("/")[0]
    assert token not in str(list(AuditEvent.objects.values()))


def test_the_log_is_filtered_by_user_action_and_dates_fifty_a_page_newest_first():
    ada, bob = UserFactory(email="ada@example.com"), UserFactory(email="bob@example.com")
    with time_machine.travel(datetime(2026, 1, 10, tzinfo=UTC), tick=False) as clock:
        for n in range(60):
            clock.shift(timedelta(minutes=1))
            record(None, Action.SIGN_IN, actor=ada, target=ada, n=n)
        clock.move_to(datetime(2026, 2, 1, tzinfo=UTC))
        record(None, Action.SIGN_IN_FAILED, target=bob)
    client = auditor("view_auditevent")

    first = client.get(AUDIT, {"user": "ada@", "action": "sign_in"})
    assert first.context["page"].paginator.count == 60
    assert [e.details["n"] for e in first.context["page"]] == list(range(59, 9, -1))
    second = client.get(AUDIT, {"user": "ada@", "action": "sign_in", "page": 2})
    assert [e.details["n"] for e in second.context["page"]] == list(range(9, -1, -1))
    assert "user=ada%40&amp;action=sign_in&amp;page=2" in first.content.decode()

    february = client.get(AUDIT, {"since": "2026-02-01", "until": "2026-02-28"})
    assert [e.action for e in february.context["page"]] == ["sign_in_failed"]
    assert client.get(AUDIT, {"user": "bob"}).context["page"].paginator.count == 1
    backwards = client.get(AUDIT, {"since": "2026-02-02", "until": "2026-02-01"})
    assert backwards.status_code == 400
    assert "The start date is after the end date." in backwards.content.decode()


def test_the_admin_shows_the_log_read_only(admin_client):
    record(None, Action.SIGN_IN_FAILED)
    event = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    count = AuditEvent.objects.count()  # with the admin's own grant of superuser status
    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    change = admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.count() == count


def test_settings_changes_name_the_fields_never_their_values(client):
    admin = UserFactory(is_superuser=True, staff=True)
    sign_in_with_app(client, admin)  # under the policy totp, staff pages need it
    client.post(reverse("security_settings"), {"two_factor_policy": "totp"})
    client.post(
        "/settings/email/",
        {
            "provider": "resend",
            "resend_api_key": "re_supersecret_123456789",
            "from_email": "Hygate <id@example.com>",
            "action": "save",
        },
    )

    security, email = AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).order_by("pk")
    assert (security.actor, security.target, security.details) == (
        admin,
        "security",
        {"fields": ["two_factor_policy"]},
    )
    assert email.target == "email" and "Resend API key" in email.details["fields"]
    assert "re_supersecret" not in str(list(AuditEvent.objects.values()))
    assert "totp" not in str(security.details)


def test_a_new_webhook_secret_and_a_lifted_suppression_are_in_the_log(client):
    # Whoever swaps the secret can forge bounces that silence any address; a lifted
    # suppression sends mail again to one that complained. Both must leave a trace.
    from emailing.models import Suppression
    from tests.fakes.resend_api import WEBHOOK_SECRET

    admin = UserFactory(is_superuser=True, staff=True)
    client.force_login(admin)
    settings = {"provider": "smtp", "from_email": "id@example.com", "smtp_host": "127.0.0.1"}
    client.post("/settings/email/", {**settings, "action": "save"})
    client.post(
        "/settings/email/", {**settings, "action": "save", "webhook_secret": WEBHOOK_SECRET}
    )
    suppressed = Suppression.objects.create(address="grace@example.com", reason="complained")
    client.post(f"/settings/email/suppressions/{suppressed.pk}/lift/")

    changes = [
        (e.actor, e.target, e.details)
        for e in AuditEvent.objects.filter(action=Action.SETTINGS_CHANGED).order_by("pk")
    ]
    assert (admin, "email", {"fields": ["webhook signing secret"]}) in changes
    assert (
        admin,
        "grace@example.com",
        {"fields": ["suppression lifted"], "reason": "complained"},
    ) in changes
    assert WEBHOOK_SECRET[6:] not in str(list(AuditEvent.objects.values()))


def test_method_changes_and_staff_resets_are_recorded():
    member, staff = UserFactory(), UserFactory(staff=True)
    AuthenticatorFactory(user=member)
    authenticators.regenerate_recovery_codes(member)
    authenticators.remove_authenticator(member)
    AuthenticatorFactory(user=member)
    authenticators.staff_reset(member, staff)

    events = AuditEvent.objects.filter(target_user=member).order_by("pk")
    assert [(e.action, e.actor) for e in events] == [
        ("recovery_codes_regenerated", member),
        ("authenticator_removed", member),
        ("two_factor_reset_by_staff", staff),
    ]


def test_a_failed_send_is_recorded_with_its_hygate_error_code(client, resend_api):
    resend_api.fail_next(*[Failure(500) for _ in range(3)])
    user = UserFactory(email="member@verified.example")
    client.post(reverse("accounts:password_reset"), {"email": user.email})

    failed = AuditEvent.objects.get(action=Action.EMAIL_FAILED)
    assert failed.details["error_code"] == "provider_error"
    assert failed.details["kind"] == "password_reset"
    assert failed.target == "member@verified.example"


def test_a_burst_of_wrong_passwords_from_one_ip_is_stopped_and_recorded():
    victims = [UserFactory() for _ in range(10)]
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    # Frozen: the limit counts in fixed one-minute windows, and a burst that straddled a
    # minute boundary would start a new window half-way.
    with time_machine.travel("2026-11-25 10:00:05+00:00", tick=False):
        statuses = [
            attacker.post(
                LOGIN, {"email": victims[n % 10].email, "password": f"guess {n}"}
            ).status_code
            for n in range(50)
        ]

    assert statuses[:30] == [400] * 30
    assert set(statuses[30:]) == {429}
    limited = AuditEvent.objects.filter(action=Action.RATE_LIMITED)
    assert limited.count() == 20
    assert {(e.ip_address, e.details["rule"]) for e in limited} == {("192.0.2.66", "login")}


def test_an_event_that_cannot_be_written_is_logged_and_the_action_goes_on(caplog):
    user = UserFactory()
    with caplog.at_level(logging.WARNING, logger="hygate.audit"), transaction.atomic():
        assert record(None, Action.SIGN_IN, target=user, when=object()) is None
        assert record(None, "no_such_action") is None
        user.name = "Still saved"
        user.save()
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "could not record sign_in: TypeError" in caplog.records[0].getMessage()
    assert not AuditEvent.objects.exists()
    user.refresh_from_db()
    assert user.name == "Still saved"


def test_a_database_error_while_writing_does_not_spoil_the_callers_transaction(caplog):
    user = UserFactory()
    table = transaction.savepoint()
    with connection.cursor() as cursor:  # the log's table is gone (rolled back below)
        cursor.execute("DROP TABLE audit_auditevent")
    with caplog.at_level(logging.WARNING, logger="hygate.audit"):
        assert record(None, Action.SIGN_IN, target=user) is None
    # On PostgreSQL a failed statement outside a savepoint would abort this transaction.
    user.name = "Saved after"
    user.save()
    user.refresh_from_db()
    assert user.name == "Saved after"
    assert "could not record sign_in" in caplog.records[0].getMessage()
    transaction.savepoint_rollback(table)


def test_secrets_never_become_details():
    event = record(None, Action.SIGN_IN_FAILED, password="hunter2", code="123456", method="totp")
    assert event.details == {"method": "totp"}


def test_each_user_sees_their_own_recent_security_events(client):
    mia = UserFactory()
    other = UserFactory()
    browser = Client(
        REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux) Firefox/128.0"
    )
    browser.post(LOGIN, {"email": mia.email, "password": DEFAULT_PASSWORD})
    record(None, Action.SIGN_IN, target=mia)  # as the sign-in flow does
    record(None, Action.AUTHENTICATOR_ADDED, actor=other, target=other)

    page = browser.get(reverse("accounts:security")).content.decode()

    assert "Recent security events" in page
    assert "Signed in" in page
    assert "Added an authenticator app" not in page


def test_strangers_failed_sign_ins_do_not_push_the_owners_real_events_out_of_the_list():
    owner = UserFactory()
    laptop = Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/604.1")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        assert (
            laptop.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})["Location"]
            == "/"
        )
        # Strangers from many addresses spend the account's budget of 5 wrong passwords
        # in every 5 minutes, for an hour: 60 failures.
        for window in range(12):
            clock.shift(300)
            for n in range(5):
                stranger = Client(REMOTE_ADDR=f"2001:db8:{window:x}{n:x}::1")
                stranger.post(LOGIN, {"email": owner.email, "password": "a guess"})
        assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).count() == 60

        events = (
            laptop.get(reverse("accounts:security"))
            .content.decode()
            .split("Recent security events")[1]
            .split("</section>")[0]
        )

    assert "Signed in" in events and "Safari on iPhone" in events  # the owner's own sign-in
    assert events.count("Sign-in failed") == 1
    assert "60 times" in events
    assert "2001:db8:b4::1" in events  # where the newest failure came from


def test_failed_sign_ins_between_the_owners_events_keep_their_place_in_the_list():
    owner = UserFactory()
    laptop = Client(REMOTE_ADDR="198.51.100.7")
    stranger = Client(REMOTE_ADDR="203.0.113.66")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        for failures in (3, 2):
            clock.shift(60)
            laptop.post(LOGIN, {"email": owner.email, "password": DEFAULT_PASSWORD})
            for _ in range(failures):
                clock.shift(10)
                stranger.post(LOGIN, {"email": owner.email, "password": "a guess"})
        clock.shift(10)
        page = laptop.get(reverse("accounts:security")).content.decode()

    events = page.split("Recent security events")[1].split("</section>")[0]
    whats = re.findall(r'<p class="item-title">(.*?)</p>', events)
    assert whats == [
        "Sign-in failed: 2 times since 2 Mar 2026, 09:02 UTC",
        "Signed in",
        "Sign-in failed: 3 times since 2 Mar 2026, 09:01 UTC",
        "Signed in",
    ]
    assert events.count("The last one: ") == 2


def test_a_member_sees_that_staff_reset_their_two_factor_but_not_where_the_staff_sat():
    member = UserFactory()
    AuthenticatorFactory(user=member)
    operator = Client(
        REMOTE_ADDR="10.20.30.40", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux) Firefox/128.0"
    )
    operator.force_login(UserFactory(is_superuser=True, staff=True))
    operator.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [member.pk]},
    )
    assert (
        AuditEvent.objects.get(action=Action.TWO_FACTOR_RESET_BY_STAFF).ip_address == "10.20.30.40"
    )
    mine = Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/604.1")
    mine.post(LOGIN, {"email": member.email, "password": DEFAULT_PASSWORD})

    events = (
        mine.get(reverse("accounts:security")).content.decode().split("Recent security events")[1]
    )

    assert "Staff reset two-factor" in events
    assert "10.20.30.40" not in events and "Linux" not in events
    assert "198.51.100.7" in events and "Safari on iPhone" in events  # their own sign-in


def test_prune_audit_removes_events_older_than_the_days_given(capsys):
    with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC)):
        record(None, Action.SIGN_IN_FAILED)
    with time_machine.travel(datetime(2025, 12, 1, tzinfo=UTC)):
        record(None, Action.SIGN_IN_FAILED)
    with time_machine.travel(datetime(2026, 1, 15, tzinfo=UTC)):
        call_command("prune_audit", "--days", "60")
        assert AuditEvent.objects.count() == 1
        call_command("prune_audit")
        assert AuditEvent.objects.count() == 1
    assert "Deleted 1 audit event(s) older than 60 days." in capsys.readouterr().out


def test_sign_up_sign_in_and_every_second_step_show_in_the_log(outbox):
    from tests.factories import SecurityPolicyFactory
    from tests.mailbox import code_in

    SecurityPolicyFactory(two_factor_policy="email")
    newcomer = Client(REMOTE_ADDR="198.51.100.21", HTTP_USER_AGENT="Firefox/128.0 (Windows)")
    newcomer.post(
        reverse("accounts:signup"),
        {"email": "nia@example.com", "password": "a long and unusual passphrase 42"},
    )
    newcomer.post(reverse("accounts:verify"), {"code": code_in(outbox[-1])})
    newcomer.post(reverse("accounts:logout"))
    Client(REMOTE_ADDR="203.0.113.66").post(
        LOGIN, {"email": "nia@example.com", "password": "not the password"}
    )
    Client().post(LOGIN, {"email": "nobody@example.com", "password": "not the password"})
    newcomer.post(
        LOGIN, {"email": "nia@example.com", "password": "a long and unusual passphrase 42"}
    )
    code = code_in(outbox[-1])
    newcomer.post(
        reverse("accounts:login_2fa"),
        {"action": "verify", "code": "000000" if code != "000000" else "111111"},
    )
    newcomer.post(reverse("accounts:login_2fa"), {"action": "verify", "code": code})

    page = auditor("view_auditevent").get(AUDIT).content.decode()
    for label in (
        "Signed up",
        "Verified e-mail address",
        "Signed in",
        "Sign-in failed",
        "Asked for the second factor",
        "Second factor failed",
        "Passed the second factor",
    ):
        assert label in page, label
    assert "198.51.100.21" in page and "203.0.113.66" in page
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED)
    assert [event.target for event in failed.order_by("created_at")] == ["nia@example.com", ""]
    signed_in = AuditEvent.objects.filter(action=Action.SIGN_IN).latest("created_at")
    assert signed_in.details["second_step"] == "email"
    assert code not in str(list(AuditEvent.objects.values()))


def test_an_attacker_hammering_past_a_limit_leaves_a_bounded_trail_not_a_row_per_request():
    # Each refused request costs the attacker nothing; a row each would fill the database
    # and bury the log. The first refusals of a window are recorded, then one saying so.
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    wrong = {"email": "victim@example.com", "password": "a guess"}
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        statuses = [attacker.post(LOGIN, wrong).status_code for _ in range(305)]

        assert statuses[:5] == [400] * 5 and set(statuses[5:]) == {429}
        for rule in ("login_failed", "login"):  # 25 and 275 refusals
            limited = AuditEvent.objects.filter(action=Action.RATE_LIMITED, details__rule=rule)
            marks = [e.details.get("later_refusals_unrecorded") for e in limited.order_by("pk")]
            assert marks == [None] * 20 + [True], rule

        clock.shift(timedelta(minutes=5, seconds=1))  # the limits' windows end
        statuses = [attacker.post(LOGIN, wrong).status_code for _ in range(8)]

    assert statuses == [400] * 5 + [429] * 3
    assert AuditEvent.objects.filter(action=Action.RATE_LIMITED).count() == 21 + 21 + 3


@pytest.mark.parametrize(
    ("proxies", "recorded"), [(0, "198.51.100.7"), (1, "203.0.113.5")], ids=["direct", "proxied"]
)
def test_a_forged_forwarded_for_never_becomes_the_recorded_address(settings, proxies, recorded):
    # Behind one proxy, only the address the proxy appended (the last) is believed.
    from accounts.models import UserSession

    settings.HYGATE_TRUSTED_PROXIES = proxies
    member = UserFactory()
    forged = "6.6.6.6, 203.0.113.5" if proxies else "6.6.6.6"
    browser = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=forged)

    browser.post(LOGIN, {"email": member.email, "password": "a wrong one"})
    browser.post(LOGIN, {"email": member.email, "password": DEFAULT_PASSWORD})

    addresses = set(AuditEvent.objects.values_list("ip_address", flat=True))
    assert addresses == {recorded}
    assert UserSession.objects.get(user=member).ip_address == recorded


def test_attackers_spread_over_many_addresses_still_leave_a_bounded_trail():
    # A limit per account is hit from a fresh address each time (IPv6 hands out plenty, a
    # fresh /64 each, which IP limits count apart): the trail is bounded per limit counter,
    # not per address.
    wrong = {"email": "victim@example.com", "password": "a guess"}
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        statuses = [
            Client(REMOTE_ADDR=f"2001:db8:{n:x}::1").post(LOGIN, wrong).status_code
            for n in range(105)
        ]

    assert statuses[:5] == [400] * 5 and set(statuses[5:]) == {429}
    assert AuditEvent.objects.filter(action=Action.RATE_LIMITED).count() == 21


def test_the_log_reads_on_a_phone_filters_in_one_compact_form_and_pages_by_number():
    ada = UserFactory(email="ada@example.com")
    for n in range(260):
        record(None, Action.SIGN_IN, actor=ada, target=ada, n=n)
    client = auditor("view_auditevent")

    page = client.get(AUDIT, {"action": "sign_in", "page": 3}).content.decode()

    assert '<form method="get" action="/settings/audit/" class="filters">' in page
    # On a phone each row stacks into a card whose cells say which column they are,
    # with when, who and what first.
    assert 'class="table-stack audit-log"' in page
    labels = [page.index(f'data-label="{label}"') for label in ("When", "Who", "What")]
    assert labels == sorted(labels)
    pager = page[page.index('<nav class="pager"') :]
    assert 'aria-current="page">3<' in pager
    for number in (1, 2, 4, 6):
        assert f"action=sign_in&amp;page={number}" in pager
    assert 'rel="prev"' in pager and 'rel="next"' in pager
    assert "Page 3 of 6" in pager
