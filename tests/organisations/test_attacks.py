"""Attacks on organisations and invitations: each test is one way in that stays shut."""

import pytest
from django.urls import reverse

from organisations.models import Invitation, Organisation, Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.mailbox import link_in

ORGS = reverse("organisations:list")

pytestmark = pytest.mark.django_db


def invite(client, email, role="member", slug="acme"):
    return client.post(f"/orgs/{slug}/", {"action": "invite", "email": email, "role": role})


def test_an_admin_cannot_take_over_an_owners_invitation_by_inviting_the_address_again(
    client, outbox
):
    owner = MembershipFactory(role=Role.OWNER, organisation__slug="acme")
    admin = MembershipFactory(role=Role.ADMIN, organisation=owner.organisation)
    invitation = InvitationFactory(
        organisation=owner.organisation,
        email="grace@example.com",
        role=Role.OWNER,
        invited_by=owner.user,
        token="o" * 43,
    )
    client.force_login(admin.user)

    response = invite(client, "Grace@example.com", role="admin")

    assert response.status_code == 400
    assert "only an owner can change it" in response.content.decode()
    invitation.refresh_from_db()
    assert (invitation.role, invitation.invited_by) == (Role.OWNER, owner.user)
    assert invitation.state == Invitation.State.PENDING
    assert client.get(f"/invitations/{'o' * 43}/").status_code == 200  # the owner's link lives
    assert outbox == []


def test_a_new_organisation_buys_no_more_invitations_a_day(client, outbox):
    spammer = UserFactory()
    client.force_login(spammer)
    client.post(ORGS, {"name": "Acme"})
    client.post(ORGS, {"name": "Acme Two"})
    for n in range(50):
        assert invite(client, f"person{n}@example.net").status_code == 302

    response = invite(client, "one.more@example.net", slug="acme-two")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "You have sent as many invitations as a day allows (50)" in response.content.decode()
    assert not Invitation.objects.filter(email="one.more@example.net").exists()
    assert len(outbox) == 50


@pytest.mark.parametrize(
    "name",
    [
        "Acme\r\nBcc: victim@example.com",
        "Acme\n\nYour account is suspended, re-activate at https://evil.example/login",
        "Acme \u202egro.elpmaxe.live",  # right-to-left override: reads as evil.example.org
        "Acme\u2028Second line",
    ],
)
def test_an_organisation_name_cannot_carry_line_breaks_or_direction_tricks(
    client, user, outbox, name
):
    client.force_login(user)

    response = client.post(ORGS, {"name": name})

    assert response.status_code == 400
    assert "cannot contain line breaks or other control characters" in response.content.decode()
    assert not Organisation.objects.exists()


def test_the_invitation_mail_is_the_inviters_words_only_in_one_line_places(client, outbox):
    """Names that predate the rule (or come from the admin) still never split a header."""
    owner = MembershipFactory(
        role=Role.OWNER,
        organisation__slug="acme",
        organisation__name="Acme\r\nBcc: victim@example.com",
        user__name="Ada\r\nReply-To: evil@example.com",
    )
    client.force_login(owner.user)

    assert invite(client, "grace@example.com").status_code == 302

    [mail] = outbox
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.bcc == [] and mail.reply_to == []
    assert mail.recipients() == ["grace@example.com"]
    assert link_in(mail).startswith("https://id.example.test/invitations/")


def test_creating_organisations_is_rate_limited_like_every_other_change(client, user):
    client.force_login(user)
    for n in range(60):
        assert client.post(ORGS, {"name": f"Spam {n}"}).status_code == 302

    response = client.post(ORGS, {"name": "One too many"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Organisation.objects.count() == 60
