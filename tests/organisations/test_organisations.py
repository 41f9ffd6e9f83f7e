"""People create organisations, see who is in them, and manage roles within the rules."""

import pytest
from django.urls import reverse

from organisations.models import Membership, Organisation, Role
from tests.factories import MembershipFactory, UserFactory

ORGS = reverse("organisations:list")

pytestmark = pytest.mark.django_db


def page(org: Organisation) -> str:
    return reverse("organisations:detail", kwargs={"slug": org.slug})


def change_role(membership: Membership, role: str) -> dict:
    return {"action": "change_role", "member": membership.pk, "role": role}


def signed_in(client, membership: Membership) -> Membership:
    client.force_login(membership.user)
    return membership


def test_an_owner_creates_acme_and_lands_on_its_page(client, user):
    client.force_login(user)

    response = client.post(ORGS, {"name": "Acme"})

    organisation = Organisation.objects.get()
    assert organisation.slug == "acme"
    assert response.status_code == 302
    assert response["Location"] == "/orgs/acme/"
    assert Membership.objects.get(organisation=organisation).role == Role.OWNER
    listing = client.get(ORGS).content.decode()
    assert "Acme" in listing and "Owner" in listing.title()
    detail = client.get("/orgs/acme/").content.decode()
    assert user.email in detail
    assert "Invite someone" in detail


def test_names_that_collide_or_have_no_letters_still_get_a_unique_slug(client, user):
    client.force_login(user)
    for name in ("Acme", "ACME!", "Acme", "!!!", "???"):
        client.post(ORGS, {"name": name})

    slugs = list(Organisation.objects.order_by("pk").values_list("slug", flat=True))
    assert slugs == ["acme", "acme-2", "acme-3", "org", "org-2"]


def test_a_blank_name_is_refused_with_a_message(client, user):
    client.force_login(user)
    response = client.post(ORGS, {"name": "   "})
    assert response.status_code == 400
    assert "Give the organisation a name." in response.content.decode()
    assert not Organisation.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(ORGS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/orgs/")


def test_someone_who_is_not_a_member_gets_404_for_pages_and_forms(client):
    owner = MembershipFactory(role=Role.OWNER)
    client.force_login(UserFactory())

    assert client.get(page(owner.organisation)).status_code == 404
    response = client.post(
        page(owner.organisation), {"action": "change_role", "member": owner.pk, "role": "member"}
    )
    assert response.status_code == 404
    assert client.post(page(owner.organisation), {"action": "leave"}).status_code == 404
    assert client.get("/orgs/no-such-organisation/").status_code == 404
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_a_member_sees_the_members_but_cannot_invite(client, outbox):
    owner = MembershipFactory(role=Role.OWNER)
    member = signed_in(client, MembershipFactory(organisation=owner.organisation))

    content = client.get(page(owner.organisation)).content.decode()
    assert owner.user.email in content and member.user.email in content
    assert "Invite someone" not in content
    assert 'value="change_role"' not in content

    response = client.post(
        page(owner.organisation), {"action": "invite", "email": "x@example.com", "role": "member"}
    )
    assert response.status_code == 403
    assert not owner.organisation.invitations.exists()
    assert outbox == []


def test_an_admin_cannot_demote_or_remove_an_owner_nor_grant_owner(client):
    owner = MembershipFactory(role=Role.OWNER)
    org = owner.organisation
    signed_in(client, MembershipFactory(organisation=org, role=Role.ADMIN))
    member = MembershipFactory(organisation=org)

    content = client.get(page(org)).content.decode()
    assert f'name="member" value="{owner.pk}"' not in content
    assert '<option value="owner"' not in content

    demote = client.post(page(org), change_role(owner, "member"))
    remove = client.post(page(org), {"action": "remove", "member": owner.pk})
    promote = client.post(page(org), change_role(member, "owner"))

    assert (demote.status_code, remove.status_code, promote.status_code) == (403, 403, 403)
    owner.refresh_from_db()
    member.refresh_from_db()
    assert owner.role == Role.OWNER
    assert member.role == Role.MEMBER


def test_an_admin_manages_members_and_admins(client):
    org = MembershipFactory(role=Role.OWNER).organisation
    signed_in(client, MembershipFactory(organisation=org, role=Role.ADMIN))
    member = MembershipFactory(organisation=org)

    response = client.post(
        page(org), {"action": "change_role", "member": member.pk, "role": "admin"}, follow=True
    )
    assert f"{member.user.email} is now admin." in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.ADMIN

    response = client.post(page(org), {"action": "remove", "member": member.pk}, follow=True)
    assert "is no longer a member" in response.content.decode()
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_an_owner_makes_someone_else_an_owner_then_steps_down(client):
    me = signed_in(client, MembershipFactory(role=Role.OWNER))
    other = MembershipFactory(organisation=me.organisation)

    client.post(page(me.organisation), change_role(other, "owner"))
    client.post(page(me.organisation), change_role(me, "member"))

    other.refresh_from_db()
    me.refresh_from_db()
    assert (other.role, me.role) == (Role.OWNER, Role.MEMBER)


def test_the_last_owner_can_neither_leave_nor_be_demoted(client):
    me = signed_in(client, MembershipFactory(role=Role.OWNER))
    MembershipFactory(organisation=me.organisation, role=Role.ADMIN)
    content = client.get(page(me.organisation)).content.decode()
    assert "You are the only owner" in content and 'value="leave"' not in content

    response = client.post(page(me.organisation), {"action": "leave"}, follow=True)
    assert "needs at least one owner" in response.content.decode()
    response = client.post(
        page(me.organisation),
        {"action": "change_role", "member": me.pk, "role": "admin"},
        follow=True,
    )
    assert "needs at least one owner" in response.content.decode()
    response = client.post(page(me.organisation), {"action": "remove", "member": me.pk})

    me.refresh_from_db()
    assert me.role == Role.OWNER


def test_a_member_leaves_and_no_longer_sees_the_organisation(client):
    org = MembershipFactory(role=Role.OWNER).organisation
    signed_in(client, MembershipFactory(organisation=org))

    response = client.post(page(org), {"action": "leave"}, follow=True)

    assert response.redirect_chain == [(ORGS, 302)]
    assert f"You left {org.name}." in response.content.decode()
    assert client.get(page(org)).status_code == 404


def test_one_of_two_owners_may_leave(client):
    me = signed_in(client, MembershipFactory(role=Role.OWNER))
    other = MembershipFactory(organisation=me.organisation, role=Role.OWNER)

    client.post(page(me.organisation), {"action": "leave"})

    assert list(me.organisation.memberships.all()) == [other]


def test_every_form_on_the_page_carries_a_csrf_token(client):
    me = signed_in(client, MembershipFactory(role=Role.OWNER))
    MembershipFactory(organisation=me.organisation)
    content = client.get(page(me.organisation)).content.decode()
    assert content.count("<form") == content.count("csrfmiddlewaretoken")

    enforcing = client.__class__(enforce_csrf_checks=True)
    enforcing.force_login(me.user)
    assert enforcing.post(page(me.organisation), {"action": "leave"}).status_code == 403


def test_the_dashboard_links_to_organisations(client, user):
    client.force_login(user)
    assert f'href="{ORGS}"' in client.get("/").content.decode()


def test_the_sole_owner_sees_their_own_role_as_text_not_a_role_select(client):
    me = signed_in(client, MembershipFactory(role=Role.OWNER))
    admin = MembershipFactory(organisation=me.organisation, role=Role.ADMIN)

    content = client.get(page(me.organisation)).content.decode()

    assert f'id="role-{me.pk}"' not in content
    assert f'name="member" value="{me.pk}"' not in content
    assert f'id="role-{admin.pk}"' in content  # the others' roles can still change
    assert "You are the only owner" in content


def test_one_of_two_owners_may_still_change_their_own_role(client):
    me = signed_in(client, MembershipFactory(role=Role.OWNER))
    MembershipFactory(organisation=me.organisation, role=Role.OWNER)

    content = client.get(page(me.organisation)).content.decode()

    assert f'id="role-{me.pk}"' in content


def test_members_see_how_many_invitations_are_pending_but_not_to_whom(client):
    owner = signed_in(client, MembershipFactory(role=Role.OWNER))
    org = owner.organisation
    for address in ("grace@example.com", "linus@example.com"):
        client.post(page(org), {"action": "invite", "email": address, "role": "member"})
    client.post(page(org), {"action": "invite", "email": "ken@example.com", "role": "member"})
    ken = org.invitations.get(email="ken@example.com")
    client.post(page(org), {"action": "revoke", "invitation": ken.pk})
    member = MembershipFactory(organisation=org)
    reader = client.__class__()
    reader.force_login(member.user)

    content = reader.get(page(org)).content.decode()

    assert "2 pending invitations" in content
    for address in ("grace@example.com", "linus@example.com", "ken@example.com"):
        assert address not in content
    assert member.user.email in content

    content = client.get(page(org)).content.decode()
    assert "grace@example.com" in content and "linus@example.com" in content
