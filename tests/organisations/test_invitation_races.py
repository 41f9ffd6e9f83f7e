"""Answers and new invitations that cross on the wire never undo one another."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from organisations.flows import invitations
from organisations.models import Invitation, Membership, Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every write; this race needs PostgreSQL",
    ),
]


def someone_waits_for_a_lock(timeout: float = 5.0) -> bool:
    """Wait until another connection is blocked on a row lock; say whether one was."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_inviting_an_address_again_while_its_invitation_is_accepted_neither_deadlocks_nor_undoes_it(
    outbox,
):
    owner = MembershipFactory(role=Role.OWNER, organisation__slug="acme")
    grace = UserFactory(email="grace@example.com")
    invitation = InvitationFactory(organisation=owner.organisation, email="grace@example.com")
    accepted = threading.Event()

    def grace_accepts_slowly():
        try:
            with transaction.atomic():
                invitations.accept(grace, invitation)
                accepted.set()
                # Commit only once the owner's new invitation is waiting on this answer.
                someone_waits_for_a_lock()
        finally:
            connections.close_all()

    def the_owner_invites_grace_again_as_admin():
        try:
            accepted.wait(5)
            client = Client()
            client.force_login(owner.user)
            return client.post(
                "/orgs/acme/",
                {"action": "invite", "email": "grace@example.com", "role": "admin"},
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answer = pool.submit(grace_accepts_slowly)
        reinvite = pool.submit(the_owner_invites_grace_again_as_admin)
        answer.result()
        status = reinvite.result()

    invitation.refresh_from_db()
    assert invitation.accepted_by == grace and invitation.accepted_at is not None
    assert Membership.objects.get(user=grace).role == Role.MEMBER
    assert not Invitation.objects.open().filter(email__iexact="grace@example.com").exists()
    assert status == 400  # "already a member", and no second e-mail
    assert outbox == []


def test_inviting_an_address_again_while_its_invitation_is_declined_keeps_the_decline(outbox):
    owner = MembershipFactory(role=Role.OWNER, organisation__slug="acme")
    grace = UserFactory(email="grace@example.com")
    invitation = InvitationFactory(organisation=owner.organisation, email="grace@example.com")
    declined = threading.Event()

    def grace_declines_slowly():
        try:
            with transaction.atomic():
                invitations.decline(grace, invitation)
                declined.set()
                someone_waits_for_a_lock()
        finally:
            connections.close_all()

    def the_owner_invites_grace_again():
        try:
            declined.wait(5)
            client = Client()
            client.force_login(owner.user)
            return client.post(
                "/orgs/acme/", {"action": "invite", "email": "grace@example.com", "role": "admin"}
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answer = pool.submit(grace_declines_slowly)
        reinvite = pool.submit(the_owner_invites_grace_again)
        answer.result()
        assert reinvite.result() == 302

    invitation.refresh_from_db()
    assert invitation.declined_by == grace and invitation.declined_at is not None
    [fresh] = Invitation.objects.open().filter(email__iexact="grace@example.com")
    assert fresh.pk != invitation.pk and fresh.role == Role.ADMIN
    assert len(outbox) == 1


def test_accepting_twice_at_once_makes_one_membership():
    grace = UserFactory(email="grace@example.com")
    invitation = InvitationFactory(email="grace@example.com", role=Role.ADMIN)

    def accept():
        try:
            return invitations.accept(grace, invitation).pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        memberships = set(pool.map(lambda _: accept(), range(8)))

    assert len(memberships) == 1
    assert Membership.objects.get(user=grace).role == Role.ADMIN
