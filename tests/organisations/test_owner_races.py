"""Two owners demoting each other, or leaving, at the same moment still leave one owner."""

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections

from organisations.flows import Refused, memberships
from organisations.models import Membership, Role
from tests.factories import MembershipFactory

ROUNDS = 10
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every write; this race needs PostgreSQL",
    ),
]


def at_once(*actions):
    """Run the actions in threads released together; return what each did or raised."""
    barrier = threading.Barrier(len(actions))

    def run(action):
        try:
            barrier.wait()
            action()
            return "done"
        except (Refused, PermissionDenied) as refused:
            return type(refused).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


def two_owners():
    first = MembershipFactory(role=Role.OWNER)
    second = MembershipFactory(organisation=first.organisation, role=Role.OWNER)
    return first, second


def owners_of(membership):
    return Membership.objects.filter(organisation=membership.organisation_id, role=Role.OWNER)


def test_two_owners_demoting_each_other_at_once_leave_one_owner():
    for _ in range(ROUNDS):
        first, second = two_owners()

        outcomes = at_once(
            partial(memberships.change_role, first, second, Role.MEMBER),
            partial(memberships.change_role, second, first, Role.MEMBER),
        )

        assert sorted(outcomes) == ["PermissionDenied", "done"]
        assert owners_of(first).count() == 1


def test_two_owners_leaving_at_once_leave_one_owner():
    for _ in range(ROUNDS):
        first, second = two_owners()

        outcomes = at_once(partial(memberships.leave, first), partial(memberships.leave, second))

        assert sorted(outcomes) == ["Refused", "done"]
        assert owners_of(first).count() == 1


def test_an_owner_stepping_down_while_the_other_leaves_leaves_one_owner():
    for _ in range(ROUNDS):
        first, second = two_owners()

        at_once(
            partial(memberships.change_role, first, first, Role.ADMIN),
            partial(memberships.leave, second),
        )

        assert owners_of(first).count() == 1
