"""Staff find organisations in the admin (never a token); expired invitations are purged."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from organisations.models import Invitation
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_lists_all_three_and_never_shows_a_token_hash(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    membership = MembershipFactory(organisation__name="Acme")
    invitation = InvitationFactory(organisation=membership.organisation, email="grace@example.com")

    for url in (
        "/admin/organisations/organisation/?q=acme",
        "/admin/organisations/membership/?role__exact=member",
        "/admin/organisations/invitation/?q=grace",
        f"/admin/organisations/invitation/{invitation.pk}/change/",
        f"/admin/organisations/organisation/{membership.organisation.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert invitation.token_hash not in response.content.decode(), url
    listing = client.get("/admin/organisations/invitation/?q=grace").content.decode()
    assert "grace@example.com" in listing


def test_purge_expired_deletes_expired_unaccepted_invitations_and_says_how_many(capsys):
    past = timezone.now() - timedelta(days=1)
    InvitationFactory(expires_at=past)
    InvitationFactory(expires_at=past, declined_at=past)
    kept_accepted = InvitationFactory(expires_at=past, accepted_at=past)
    kept_pending = InvitationFactory()

    call_command("purge_expired")

    assert "expired invitations removed: 2" in capsys.readouterr().out
    assert set(Invitation.objects.all()) == {kept_accepted, kept_pending}
