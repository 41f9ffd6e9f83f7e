"""A daily invitation cap holds when one inviter's lists are sent at the same moment."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from organisations.models import Invitation, Organisation, Role
from tests.factories import MembershipFactory, UserFactory
from tests.organisations.test_invitation_races import someone_waits_for_a_lock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every write; this race needs PostgreSQL",
    ),
]


def test_two_lists_pasted_at_once_into_two_organisations_stay_within_the_inviters_cap(settings):
    settings.HYGATE_INVITES_NEW_ADDRESSES_PER_INVITER_DAY = 3
    mallory = UserFactory(email="mallory@example.com")
    for slug in ("one", "two"):
        MembershipFactory(user=mallory, organisation__slug=slug, role=Role.OWNER)
    held = threading.Event()
    release = threading.Event()

    def someone_holds_organisation_one():
        # Stands for any slow answer in "one" (an accept, another list): the list pasted
        # into "one" has to wait for it, after it has counted what the cap leaves it.
        try:
            with transaction.atomic():
                Organisation.objects.select_for_update().get(slug="one")
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    def paste(slug: str, prefix: str) -> int:
        try:
            browser = Client()
            browser.force_login(mallory)
            lines = "\n".join(f"{prefix}{n}@example.org" for n in range(3))
            return browser.post(
                f"/orgs/{slug}/", {"action": "bulk_invite", "emails": lines, "role": "member"}
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=3) as pool:
        holder = pool.submit(someone_holds_organisation_one)
        assert held.wait(5)
        first = pool.submit(paste, "one", "a")
        assert someone_waits_for_a_lock()  # the first list waits on the lock
        second = pool.submit(paste, "two", "b")
        second.result()
        release.set()
        first.result()
        holder.result()

    assert Invitation.objects.filter(invited_by=mallory).count() <= 3
