"""An owner pastes a list of addresses; the page answers at once and the mail follows."""

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from emailing.models import EmailLog
from organisations.models import Invitation, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    """Ada, owner of Acme, signed in."""
    ada = UserFactory(email="ada@example.com", name="Ada Lovelace")
    membership = MembershipFactory(
        user=ada, organisation__name="Acme", organisation__slug="acme", role=Role.OWNER
    )
    client.force_login(ada)
    return membership


def paste(client, lines, role="member"):
    return client.post(
        "/orgs/acme/", {"action": "bulk_invite", "emails": "\n".join(lines), "role": role}
    )


def test_an_owner_pastes_300_addresses_and_three_batch_calls_deliver_them(
    client, owner, resend_api
):
    addresses = [f"person{n}@example.org" for n in range(300)]

    response = paste(client, addresses)

    assert response.status_code == 200
    report = response.context["bulk_report"]
    assert (len(report["invited"]), len(report["skipped"]), len(report["refused"])) == (300, 0, 0)
    assert "300</strong> invited" in response.content.decode()
    assert len(resend_api.batch_calls) == 3
    assert len(resend_api.delivered) == 300
    assert {d["payload"]["to"][0] for d in resend_api.delivered} == set(addresses)
    log = EmailLog.objects.filter(kind=EmailLog.Kind.INVITATION)
    assert log.count() == 300
    assert set(log.values_list("status", flat=True)) == {"sent"}
    assert log.exclude(payload="").count() == 0  # no body is kept once sent
    assert len(set(log.values_list("provider_message_id", flat=True))) == 300
    keys = {call["headers"]["idempotency-key"] for call in resend_api.batch_calls}
    assert len(keys) == 3


def test_the_page_counts_members_duplicates_and_malformed_lines_and_lists_them(
    client, owner, outbox
):
    MembershipFactory(organisation=owner.organisation, user__email="bob@example.com")

    response = paste(
        client,
        [
            "grace@example.com",
            "GRACE@example.com",
            "bob@example.com",
            "not an address",
            "linus@example.com,admin",
            "ken@example.com,emperor",
            "",
        ],
    )

    content = response.content.decode()
    report = response.context["bulk_report"]
    assert [i.email for i in report["invited"]] == ["grace@example.com", "linus@example.com"]
    assert len(report["skipped"]) == 2 and len(report["refused"]) == 2
    assert "2</strong> invited" in content and "2</strong> skipped" in content
    assert "not an address" in content and "ken@example.com,emperor" in content
    assert "already a member" in content and "listed twice" in content
    assert Invitation.objects.get(email="linus@example.com").role == Role.ADMIN
    assert sorted(m.to[0] for m in outbox) == ["grace@example.com", "linus@example.com"]


def test_more_than_a_thousand_lines_are_refused_whole(client, owner, outbox):
    response = paste(client, [f"p{n}@example.org" for n in range(1001)])

    assert response.status_code == 400
    assert "at most 1000 addresses" in response.content.decode()
    assert not Invitation.objects.exists() and outbox == []


@time_machine.travel("2026-11-25 10:00:05+00:00", tick=False)  # fixed rate-limit windows
def test_a_thousand_bulk_invitations_a_day_is_the_cap(client, owner, outbox, settings):
    settings.HYGATE_RATE_LIMIT_RULES = {
        **settings.HYGATE_RATE_LIMIT_RULES,
        "invitation_org_bulk": "1000/d/key",
    }
    assert paste(client, [f"p{n}@example.org" for n in range(1000)]).status_code == 200
    outbox.clear()

    response = paste(client, ["one.more@example.org"])

    assert response.status_code == 429
    assert "as many invitations as a day allows (1000)" in response.content.decode()
    assert not Invitation.objects.filter(email="one.more@example.org").exists()
    assert outbox == []
    cache.clear()


def test_a_member_cannot_paste_a_list(client, owner):
    bob = MembershipFactory(organisation=owner.organisation, role=Role.MEMBER)
    client.force_login(bob.user)

    response = paste(client, ["grace@example.com"])

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_list_cannot_take_over_an_owners_pending_invitation(client, owner, outbox):
    admin = MembershipFactory(organisation=owner.organisation, role=Role.ADMIN)
    client.post("/orgs/acme/", {"action": "invite", "email": "grace@example.com", "role": "owner"})
    pending = Invitation.objects.get(email="grace@example.com")
    client.force_login(admin.user)

    response = paste(client, ["Grace@example.com", "newcomer@example.com"])

    report = response.context["bulk_report"]
    assert len(report["invited"]) == 1
    assert "has a pending invitation with a role you may not give" in response.content.decode()
    pending.refresh_from_db()
    assert (pending.role, pending.invited_by) == (Role.OWNER, owner.user)


@time_machine.travel("2026-11-25 10:00:05+00:00", tick=False)  # fixed rate-limit windows
def test_new_organisations_buy_no_more_bulk_invitations_a_day(client, owner, outbox, settings):
    settings.HYGATE_RATE_LIMIT_RULES = {
        **settings.HYGATE_RATE_LIMIT_RULES,
        "invitation_inviter_bulk": "3/d/key",
    }
    assert paste(client, ["a@example.org", "b@example.org", "c@example.org"]).status_code == 200
    client.post("/orgs/", {"name": "Acme Two"})
    response = client.post(
        "/orgs/acme-two/", {"action": "bulk_invite", "emails": "d@example.org", "role": "member"}
    )
    assert response.status_code == 429
    assert not Invitation.objects.filter(email="d@example.org").exists()
    cache.clear()


def test_without_a_worker_a_batch_whose_tries_all_failed_ends_failed_with_its_code(
    client, owner, resend_api
):
    from tests.fakes.resend_api import Failure

    resend_api.fail_next(Failure(), Failure(), Failure())
    paste(client, ["late@example.org"])

    entry = EmailLog.objects.get(kind=EmailLog.Kind.INVITATION)
    assert (entry.status, entry.error_code, entry.payload) == ("failed", "provider_error", "")


def test_without_a_worker_a_batch_a_killed_process_left_is_sent_by_purge_expired(resend_api):
    import io

    import time_machine
    from django.core.management import call_command

    from emailing import queue
    from emailing.messages import render_message

    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as traveller:
        message = render_message("test_message", "late@example.org", {"provider": "resend"})
        [entry] = queue.queue([message])  # queued, but the process died before sending it
        traveller.shift(3 * 60)
        call_command("purge_expired", stdout=(out := io.StringIO()))

    entry.refresh_from_db()
    assert entry.status == EmailLog.Status.SENT
    assert [d["payload"]["to"] for d in resend_api.delivered] == [["late@example.org"]]
    assert "queued batches sent again: 1" in out.getvalue()


def test_a_pasted_list_of_new_addresses_writes_each_invitation_once(client, owner, outbox):
    # The page must answer at once: 1,000 new invitations were written, then all updated
    # again (3 s instead of 1.4 s for 1,000 lines on PostgreSQL, by bench-style timing).
    with CaptureQueriesContext(connection) as queries:
        response = paste(client, [f"person{n}@example.org" for n in range(50)])

    assert response.status_code == 200
    assert Invitation.objects.count() == 50
    # The delivery outcome stamps each sent invitation (sent_at) as its mail leaves, after
    # the response; the request itself writes each invitation once.
    rewrites = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('UPDATE "organisations_invitation"')
        and not q["sql"].startswith('UPDATE "organisations_invitation" SET "sent_at"')
    ]
    assert rewrites == []


def test_a_pending_address_in_the_list_is_reported_as_already_invited_and_sent_again(
    client, owner, outbox
):
    client.post("/orgs/acme/", {"action": "invite", "email": "grace@example.com", "role": "member"})
    first_link_hash = Invitation.objects.get(email="grace@example.com").token_hash
    outbox.clear()

    response = paste(client, ["grace@example.com", "linus@example.com"])

    content = response.content.decode()
    report = response.context["bulk_report"]
    assert [i.email for i in report["invited"]] == ["linus@example.com"]
    assert [i.email for i in report["resent"]] == ["grace@example.com"]
    assert "<strong>1</strong> invited" in content
    assert "<strong>1</strong> already invited, link sent again" in content
    assert "Already invited, link sent again" in content
    # The first link no longer works: the report says so instead of keeping quiet.
    assert "Their earlier link no longer works." in content
    assert Invitation.objects.get(email="grace@example.com").token_hash != first_link_hash
    assert sorted(m.to[0] for m in outbox) == ["grace@example.com", "linus@example.com"]


def test_the_report_of_a_list_comes_first_under_the_heading_and_takes_focus(client, owner, outbox):
    response = paste(client, ["grace@example.com", "not an address"])

    content = response.content.decode()
    heading = content.index("<h1")
    report = content.index('id="bulk-report"')
    assert heading < report < content.index("Members</h2>")
    assert report < content.index("Invite someone</h2>")
    tag = content[content.rindex("<", 0, report) : content.index(">", report)]
    assert 'tabindex="-1"' in tag and "autofocus" in tag
