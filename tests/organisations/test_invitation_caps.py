"""Invitations to people outside an organisation are capped per inviter, for new accounts,
and site-wide, per day; the refusals never tell which addresses have an account."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from organisations.models import Invitation, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ACME = reverse("organisations:detail", kwargs={"slug": "acme"})


@pytest.fixture
def caps(settings):
    settings.HYGATE_INVITES_NEW_ADDRESSES_PER_INVITER_DAY = 5
    settings.HYGATE_INVITES_NEW_ADDRESSES_SITE_DAY = 8
    settings.HYGATE_INVITES_NEW_ACCOUNT_DAYS = 7
    settings.HYGATE_INVITES_NEW_ACCOUNT_PER_DAY = 2


def owner_of(slug, client, joined_days_ago=30):
    ada = UserFactory(date_joined=timezone.now() - timedelta(days=joined_days_ago))
    MembershipFactory(user=ada, organisation__slug=slug, role=Role.OWNER)
    client.force_login(ada)
    return ada


def invite(client, email, slug="acme"):
    return client.post(f"/orgs/{slug}/", {"action": "invite", "email": email, "role": "member"})


def paste(client, lines, slug="acme"):
    return client.post(
        f"/orgs/{slug}/", {"action": "bulk_invite", "emails": "\n".join(lines), "role": "member"}
    )


def test_an_inviter_reaches_the_daily_cap_with_single_invitations(client, caps, outbox):
    owner_of("acme", client)
    for n in range(5):
        assert invite(client, f"p{n}@example.org").status_code == 302

    refused = invite(client, "p5@example.org")

    assert refused.status_code == 429
    assert "invited as many people as a day allows (5)" in refused.content.decode()
    assert Invitation.objects.count() == 5 and len(outbox) == 5
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert invite(client, "p5@example.org").status_code == 302


def test_a_bulk_list_past_the_cap_invites_what_fits_and_counts_the_rest(client, caps, outbox):
    owner_of("acme", client)
    # One address has an account, the others do not: both count alike, so the report
    # cannot tell the inviter which addresses belong to someone.
    UserFactory(email="p0@example.org")

    response = paste(client, [f"p{n}@example.org" for n in range(8)])

    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>5</strong> invited" in page
    assert "<strong>3</strong> of the skipped were over the daily cap" in page
    assert page.count("over the daily cap of invitations, not invited") == 3
    assert Invitation.objects.count() == 5


def test_a_new_account_gets_a_lower_cap(client, caps):
    owner_of("acme", client, joined_days_ago=1)
    for n in range(2):
        assert invite(client, f"p{n}@example.org").status_code == 302

    refused = invite(client, "p2@example.org")

    assert refused.status_code == 429
    assert "first 7 days" in refused.content.decode()


def test_the_site_wide_cap_holds_across_inviters(client, caps):
    owner_of("acme", client)
    paste(client, [f"a{n}@example.org" for n in range(5)])
    owner_of("globex", client)
    paste(client, [f"g{n}@example.org" for n in range(3)], slug="globex")

    refused = invite(client, "late@example.org", slug="globex")

    assert refused.status_code == 429
    assert "as many invitations today as this site allows" in refused.content.decode()
    assert Invitation.objects.count() == 8


def test_spelling_an_address_another_way_invites_it_once_and_counts_once(client, caps, outbox):
    owner_of("acme", client)
    invite(client, "grace@example.org")
    paste(client, ["GRACE@example.org", "grace@\uff45xample.org", "grace@EXAMPLE.org"])
    invite(client, "Grace@Example.ORG")

    assert list(Invitation.objects.values_list("email", flat=True)) == ["grace@example.org"]
    for n in range(4):
        assert invite(client, f"new{n}@example.org").status_code == 302
    assert invite(client, "one.too.many@example.org").status_code == 429
