"""An invitation lives only while its inviter may still give its role; an organisation
always keeps an owner, even when staff delete a user."""

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from organisations.models import Invitation, Membership, Organisation, Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ACME = reverse("organisations:detail", kwargs={"slug": "acme"})


@pytest.fixture
def acme(client):
    """Ada owns Acme and is signed in; Bob is an admin with two open invitations."""
    ada = MembershipFactory(
        user__email="ada@example.com", organisation__slug="acme", role=Role.OWNER
    )
    bob = MembershipFactory(
        user__email="bob@example.com", organisation=ada.organisation, role=Role.ADMIN
    )
    for email, role in (("p1@example.org", Role.MEMBER), ("p2@example.org", Role.ADMIN)):
        InvitationFactory(
            organisation=ada.organisation, email=email, role=role, invited_by=bob.user
        )
    client.force_login(ada.user)
    return ada, bob


def open_invitations() -> list[str]:
    return sorted(Invitation.objects.open().values_list("email", flat=True))


def test_an_admin_demoted_to_member_loses_their_open_invitations(client, acme):
    _, bob = acme

    client.post(ACME, {"action": "change_role", "member": bob.pk, "role": "member"})

    assert Membership.objects.get(pk=bob.pk).role == Role.MEMBER
    assert open_invitations() == []
    events = AuditEvent.objects.filter(action="invitation_revoked")
    assert events.count() == 2
    assert {e.details["reason"] for e in events} == {"inviter_lost_right"}


def test_a_removed_admin_loses_their_open_invitations(client, acme):
    _, bob = acme

    client.post(ACME, {"action": "remove", "member": bob.pk})

    assert not Membership.objects.filter(pk=bob.pk).exists()
    assert open_invitations() == []


def test_an_owner_stepping_down_to_admin_keeps_only_invitations_an_admin_may_give(client, acme):
    ada, _ = acme
    MembershipFactory(organisation=ada.organisation, role=Role.OWNER)
    InvitationFactory(
        organisation=ada.organisation, email="o@example.org", role=Role.OWNER, invited_by=ada.user
    )
    InvitationFactory(
        organisation=ada.organisation, email="m@example.org", role=Role.MEMBER, invited_by=ada.user
    )

    client.post(ACME, {"action": "change_role", "member": ada.pk, "role": "admin"})

    assert "o@example.org" not in open_invitations()
    assert "m@example.org" in open_invitations()


def test_deleting_the_last_owner_in_code_is_refused(acme):
    ada, _ = acme

    # The guard runs inside the delete's transaction, which it rolls back.
    with pytest.raises(ProtectedError), transaction.atomic():
        ada.user.delete()

    assert User.objects.filter(pk=ada.user_id).exists()


def test_staff_cannot_delete_the_last_owner_in_the_admin_and_are_told_why(client, acme):
    ada, _ = acme
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:accounts_user_delete", args=[ada.user_id])

    page = client.get(url).content.decode()
    response = client.post(url, {"post": "yes"})

    assert "acme" in page.lower() and "only owner" in page
    assert response.status_code == 200
    assert User.objects.filter(pk=ada.user_id).exists()
    action = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [ada.user_id], "post": "yes"},
    )
    assert "only owner" in action.content.decode()
    assert User.objects.filter(pk=ada.user_id).exists()


def test_an_owner_with_another_owner_beside_them_can_be_deleted(client, acme):
    ada, _ = acme
    MembershipFactory(organisation=ada.organisation, role=Role.OWNER)

    ada.user.delete()

    assert not User.objects.filter(pk=ada.user_id).exists()


def test_deleting_an_organisation_deletes_its_invitations_without_revoking_them(acme):
    ada, _ = acme

    Organisation.objects.filter(pk=ada.organisation_id).delete()

    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation_revoked").exists()


def test_an_admin_whose_account_staff_delete_loses_their_open_invitations(client, acme):
    _, bob = acme
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    client.post(reverse("admin:accounts_user_delete", args=[bob.user_id]), {"post": "yes"})

    assert not User.objects.filter(pk=bob.user_id).exists()
    assert open_invitations() == []


def test_an_admin_whose_account_staff_deactivate_loses_their_open_invitations(client, acme):
    ada, bob = acme
    grace = UserFactory(email="grace@example.org")
    InvitationFactory(
        organisation=ada.organisation,
        email=grace.email,
        role=Role.ADMIN,
        invited_by=bob.user,
        token="bob-invites-grace-0001-abcdefghijklmnopqrstuvwx",
    )
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    user = bob.user
    client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {"email": user.email, "name": user.name, "_save": "Save"},  # "Active" unticked
    )
    assert not User.objects.get(pk=user.pk).is_active

    client.force_login(grace)
    client.post(
        "/invitations/bob-invites-grace-0001-abcdefghijklmnopqrstuvwx/", {"action": "accept"}
    )

    assert not Membership.objects.filter(user=grace).exists()
    assert open_invitations() == []
