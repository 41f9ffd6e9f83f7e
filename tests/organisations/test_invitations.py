"""Owners and admins invite people by e-mail; the invited person answers from the link."""

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from organisations.models import INVITATION_LIFETIME, Invitation, Membership, Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.mailbox import code_in, html_of, link_in

STRONG = "a long and unusual passphrase 42"
ORGS = reverse("organisations:list")

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


def invite(client, email, role="member", slug="acme", **extra):
    return client.post(
        f"/orgs/{slug}/", {"action": "invite", "email": email, "role": role, **extra}
    )


def path_of(link: str) -> str:
    return link.removeprefix("https://id.example.test")


def test_a_newcomer_signs_up_from_the_link_verifies_and_joins_as_admin(client, owner, outbox):
    response = invite(client, "grace@example.com", role="admin")
    assert response.status_code == 302
    [mail] = outbox
    assert mail.to == ["grace@example.com"]
    assert "Acme" not in mail.subject and "7 days" in mail.subject
    for part in (mail.body, html_of(mail)):
        assert "Acme" in part and "Ada Lovelace" in part and "admin" in part
        assert "7 days" in part
    link = link_in(mail)
    assert link.startswith("https://id.example.test/invitations/")
    client.logout()
    outbox.clear()

    page = client.get(path_of(link))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Acme" in content and "Admin" in content and "Ada Lovelace" in content
    signup_url = page.context["signup_url"]
    assert signup_url.startswith("/accounts/signup/?next=/invitations/")
    assert 'value="accept"' not in content

    signup_page = client.get(signup_url).content.decode()
    assert 'value="grace@example.com"' in signup_page
    assert f'name="next" value="{path_of(link)}"' in signup_page
    client.post(
        "/accounts/signup/",
        {"email": "grace@example.com", "password": STRONG, "next": path_of(link)},
    )
    response = client.post("/accounts/verify/", {"code": code_in(outbox[0])})
    assert response["Location"] == path_of(link)

    page = client.get(path_of(link)).content.decode()
    assert 'value="accept"' in page and 'value="decline"' in page
    response = client.post(path_of(link), {"action": "accept"}, follow=True)
    assert response.redirect_chain == [("/orgs/acme/", 302)]
    assert "You are a member of Acme as admin." in response.content.decode()

    listing = client.get(ORGS).content.decode()
    assert "Acme" in listing and "Admin" in listing
    grace = Membership.objects.get(user__email="grace@example.com")
    assert grace.role == Role.ADMIN
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == grace.user and invitation.accepted_at is not None


def test_an_existing_user_signs_in_from_the_link_and_accepts(client, owner, outbox, password):
    invite(client, "Grace@Example.com")
    link = path_of(link_in(outbox[0]))
    grace = UserFactory(email="grace@example.com")
    client.logout()

    login_url = client.get(link).context["login_url"]
    assert 'value="grace@example.com"' in client.get(login_url).content.decode()
    response = client.post(
        "/accounts/login/", {"email": "grace@example.com", "password": password, "next": link}
    )
    assert response["Location"] == link
    client.post(link, {"action": "accept"})

    assert Membership.objects.get(user=grace).role == Role.MEMBER


def test_a_signed_in_user_with_another_address_is_told_whom_it_is_for(client, outbox):
    invitation = InvitationFactory(email="grace@example.com", token="t" * 43)
    intruder = UserFactory(email="mallory@example.com")
    client.force_login(intruder)

    content = client.get(f"/invitations/{'t' * 43}/").content.decode()
    assert "This invitation is for <strong>grace@example.com</strong>" in content
    assert 'value="accept"' not in content

    assert client.post(f"/invitations/{'t' * 43}/", {"action": "accept"}).status_code == 403
    assert not Membership.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING


def test_an_anonymous_post_is_sent_to_sign_in(client):
    InvitationFactory(token="a" * 43)
    response = client.post(f"/invitations/{'a' * 43}/", {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Invitation.objects.get().state == Invitation.State.PENDING


def test_opening_the_link_changes_nothing(client):
    grace = UserFactory(email="grace@example.com")
    InvitationFactory(email="grace@example.com", token="g" * 43)
    client.force_login(grace)

    for _ in range(3):
        assert client.get(f"/invitations/{'g' * 43}/").status_code == 200

    invitation = Invitation.objects.get()
    assert invitation.state == Invitation.State.PENDING
    assert not Membership.objects.filter(user=grace).exists()


def test_an_unknown_token_is_a_404(client):
    InvitationFactory(token="k" * 43)
    assert client.get(f"/invitations/{'x' * 43}/").status_code == 404
    assert client.post(f"/invitations/{'x' * 43}/", {"action": "accept"}).status_code == 404


def answered_page(client, user, token):
    client.force_login(user)
    return client.get(f"/invitations/{token}/")


def test_an_expired_invitation_says_to_ask_for_a_new_one(client):
    grace = UserFactory(email="grace@example.com")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        InvitationFactory(email="grace@example.com", token="e" * 43)
        traveller.shift(INVITATION_LIFETIME)

        response = answered_page(client, grace, "e" * 43)
        assert response.status_code == 410
        assert "This invitation has expired" in response.content.decode()
        assert "send a new one" in response.content.decode()
        response = client.post(f"/invitations/{'e' * 43}/", {"action": "accept"}, follow=True)
        assert "This invitation has expired" in response.content.decode()
    assert not Membership.objects.filter(user=grace).exists()


def test_an_expired_invitation_still_says_to_ask_for_a_new_one_after_the_nightly_purge(client):
    """purge_expired deletes expired invitations; their links must not become a bare 404."""
    grace = UserFactory(email="grace@example.com")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        InvitationFactory(email="grace@example.com", token="p" * 43)
        traveller.shift(INVITATION_LIFETIME * 2)
        call_command("purge_expired", stdout=StringIO())
        assert not Invitation.objects.exists()

        for response in (
            answered_page(client, grace, "p" * 43),
            client.post(f"/invitations/{'p' * 43}/", {"action": "accept"}),
        ):
            assert response.status_code == 404
            page = response.content.decode()
            assert "This invitation link no longer works" in page
            assert "Ask the person who invited you to send a new one" in page
    assert not Membership.objects.filter(user=grace).exists()


def test_a_revoked_invitation_says_it_was_withdrawn(client, owner, outbox):
    invite(client, "grace@example.com")
    link = path_of(link_in(outbox[0]))
    invitation = Invitation.objects.get()
    client.post("/orgs/acme/", {"action": "revoke", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.revoked_by == owner.user and invitation.revoked_at is not None

    grace = UserFactory(email="grace@example.com")
    response = answered_page(client, grace, link.split("/")[2])
    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()
    client.post(link, {"action": "accept"})
    assert not Membership.objects.filter(user=grace).exists()


def test_a_declined_invitation_stays_declined_and_the_inviter_sees_it(client, owner, outbox):
    invite(client, "grace@example.com")
    link = path_of(link_in(outbox[0]))
    grace = UserFactory(email="grace@example.com")
    client.force_login(grace)

    response = client.post(link, {"action": "decline"}, follow=True)
    assert "You declined the invitation to Acme." in response.content.decode()
    invitation = Invitation.objects.get()
    assert invitation.declined_by == grace
    assert "This invitation was declined" in client.get(link).content.decode()
    client.post(link, {"action": "accept"})
    assert not Membership.objects.filter(user=grace).exists()
    assert len(outbox) == 1  # nobody is mailed about the answer

    client.force_login(owner.user)
    assert "grace@example.com as Member: declined" in client.get("/orgs/acme/").content.decode()


def test_a_used_invitation_works_once_and_accepting_twice_does_nothing_more(client, owner, outbox):
    invite(client, "grace@example.com", role="admin")
    link = path_of(link_in(outbox[0]))
    grace = UserFactory(email="grace@example.com")
    client.force_login(grace)

    client.post(link, {"action": "accept"})
    accepted_at = Invitation.objects.get().accepted_at
    response = client.post(link, {"action": "accept"}, follow=True)
    assert response.redirect_chain == [("/orgs/acme/", 302)]
    assert Membership.objects.filter(user=grace).count() == 1
    assert Invitation.objects.get().accepted_at == accepted_at
    assert "You accepted this invitation" in client.get(link).content.decode()

    # Someone else with the same link, e.g. after the member left and a new account signed in.
    other = UserFactory()
    response = answered_page(client, other, link.split("/")[2])
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert len(outbox) == 1


def test_a_resend_sends_a_fresh_link_and_kills_the_old_one(client, owner, outbox):
    invite(client, "grace@example.com")
    old_link = path_of(link_in(outbox[0]))
    invitation = Invitation.objects.get()

    response = client.post(
        "/orgs/acme/", {"action": "resend", "invitation": invitation.pk}, follow=True
    )
    assert "We e-mailed an invitation to grace@example.com" in response.content.decode()
    new_link = path_of(link_in(outbox[1]))
    assert new_link != old_link
    assert client.get(old_link).status_code == 404

    grace = UserFactory(email="grace@example.com")
    client.force_login(grace)
    assert client.post(old_link, {"action": "accept"}).status_code == 404
    client.post(new_link, {"action": "accept"})
    assert Membership.objects.filter(user=grace).exists()


def test_inviting_the_same_address_again_replaces_the_pending_invitation(client, owner, outbox):
    invite(client, "grace@example.com", role="member")
    invite(client, "GRACE@example.com", role="admin")

    invitation = Invitation.objects.get()
    assert invitation.role == Role.ADMIN
    assert client.get(path_of(link_in(outbox[0]))).status_code == 404
    assert client.get(path_of(link_in(outbox[1]))).status_code == 200


def test_inviting_a_member_says_so_and_sends_nothing(client, owner, outbox):
    MembershipFactory(organisation=owner.organisation, user__email="grace@example.com")

    response = invite(client, "Grace@EXAMPLE.com")

    assert response.status_code == 400
    assert "is already a member of this organisation" in response.content.decode()
    assert outbox == []
    assert not Invitation.objects.exists()


def test_the_pending_invitation_shows_with_its_expiry_and_who_may_answer(client, owner, outbox):
    invite(client, "grace@example.com")
    content = client.get("/orgs/acme/").content.decode()
    assert "Pending invitations" in content and "grace@example.com" in content
    assert 'value="resend"' in content and 'value="revoke"' in content

    grace = UserFactory(email="grace@example.com")
    client.force_login(grace)
    listing = client.get(ORGS).content.decode()
    assert "Acme" in listing and "invites you as Member" in listing
    invitation = Invitation.objects.get()
    client.post(ORGS, {"action": "accept", "invitation": invitation.pk})
    assert Membership.objects.get(user=grace).role == Role.MEMBER


def test_an_invitation_from_the_list_cannot_be_taken_by_someone_else(client, owner):
    invitation = InvitationFactory(organisation=owner.organisation, email="grace@example.com")
    client.force_login(UserFactory())
    response = client.post(ORGS, {"action": "accept", "invitation": invitation.pk})
    assert response.status_code == 404
    assert not Membership.objects.exclude(pk=owner.pk).exists()


def test_an_admin_may_invite_admins_and_members_but_not_owners(client, outbox):
    admin = MembershipFactory(role=Role.ADMIN, organisation__slug="acme")
    client.force_login(admin.user)

    assert '<option value="owner"' not in client.get("/orgs/acme/").content.decode()
    assert invite(client, "a@example.com", role="owner").status_code == 400
    assert invite(client, "b@example.com", role="admin").status_code == 302
    assert list(Invitation.objects.values_list("email", "role")) == [("b@example.com", "admin")]


def test_an_owner_may_invite_an_owner(client, owner, outbox):
    invite(client, "grace@example.com", role="owner")
    assert Invitation.objects.get().role == Role.OWNER


def test_the_token_is_not_stored_in_plain_text(client, owner, outbox):
    invite(client, "grace@example.com")
    token = path_of(link_in(outbox[0])).split("/")[2]
    assert len(token) >= 43

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM organisations_invitation")
        rows = cursor.fetchall()
    assert rows
    assert all(token not in str(value) for row in rows for value in row)


def test_a_failed_send_is_shown_and_the_invitation_stays_with_a_resend_button(
    client, owner, resend_api
):
    from tests.fakes.resend_api import Failure

    resend_api.fail_next(*[Failure(500) for _ in range(3)])
    response = invite(client, "grace@example.com")
    page = client.get(response["Location"]).content.decode()

    assert "We could not send the invitation e-mail to grace@example.com" in page
    assert "The e-mail could not be sent." in page
    assert 'value="resend"' in page
    invitation = Invitation.objects.get()
    assert invitation.send_failed

    client.post("/orgs/acme/", {"action": "resend", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert not invitation.send_failed
    assert len(resend_api.delivered) == 1


def test_the_51st_invitation_of_the_day_is_refused(client, owner, outbox):
    for n in range(50):
        assert invite(client, f"person{n}@example.net").status_code == 302

    response = invite(client, "one.too.many@example.net")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "as many invitations as a day allows (50)" in response.content.decode()
    assert not Invitation.objects.filter(email="one.too.many@example.net").exists()
    assert len(outbox) == 50


def test_an_admin_cannot_resend_or_revoke_an_invitation_to_become_owner(client, outbox):
    admin = MembershipFactory(role=Role.ADMIN, organisation__slug="acme")
    invitation = InvitationFactory(organisation=admin.organisation, role=Role.OWNER)
    client.force_login(admin.user)

    assert (
        f'name="invitation" value="{invitation.pk}"'
        not in client.get("/orgs/acme/").content.decode()
    )
    for action in ("resend", "revoke"):
        response = client.post("/orgs/acme/", {"action": action, "invitation": invitation.pk})
        assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING
    assert outbox == []
