"""Attacks on organisations and invitations: each test is one way in that stays shut."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from organisations.models import Invitation, Membership, Organisation, Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.mailbox import html_of, link_in

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


@time_machine.travel("2026-11-25 10:00:05+00:00", tick=False)  # fixed rate-limit windows
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


@time_machine.travel("2026-11-25 10:00:05+00:00", tick=False)  # fixed rate-limit windows
def test_creating_organisations_is_rate_limited_like_every_other_change(client, user):
    client.force_login(user)
    for n in range(60):
        assert client.post(ORGS, {"name": f"Spam {n}"}).status_code == 302

    response = client.post(ORGS, {"name": "One too many"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Organisation.objects.count() == 60


def test_a_member_removed_after_accepting_cannot_come_back_with_the_same_link(client, outbox):
    owner = MembershipFactory(role=Role.OWNER, organisation__slug="acme")
    grace = UserFactory(email="grace@example.com")
    invitation = InvitationFactory(
        organisation=owner.organisation, email="grace@example.com", token="r" * 43
    )
    client.force_login(grace)
    client.post(f"/invitations/{'r' * 43}/", {"action": "accept"})
    client.force_login(owner.user)
    removed = Membership.objects.get(user=grace)
    client.post("/orgs/acme/", {"action": "remove", "member": removed.pk})

    client.force_login(grace)
    again = client.post(f"/invitations/{'r' * 43}/", {"action": "accept"}, follow=True)
    from_list = client.post(ORGS, {"action": "accept", "invitation": invitation.pk}, follow=True)

    assert "already been used" in again.content.decode()
    assert "already been used" in from_list.content.decode()
    assert not Membership.objects.filter(user=grace).exists()
    assert client.get("/orgs/acme/").status_code == 404


FORGED = [
    {"action": "invite", "email": "x@example.com", "role": "owner"},
    {"action": "change_role", "role": "owner"},
    {"action": "change_role", "role": "member"},
    {"action": "remove"},
    {"action": "resend"},
    {"action": "revoke"},
    {"action": "delete"},
    {"action": "accept"},
]


@pytest.mark.parametrize("forged", FORGED, ids=lambda f: f"{f['action']}-{f.get('role', '')}")
def test_a_member_forging_any_action_changes_nothing_here_or_elsewhere(client, outbox, forged):
    owner = MembershipFactory(role=Role.OWNER, organisation__slug="acme")
    me = MembershipFactory(organisation=owner.organisation)
    theirs = MembershipFactory(role=Role.OWNER, organisation__slug="other")
    mine_too = MembershipFactory(role=Role.OWNER, user=me.user, organisation__slug="mine")
    here = InvitationFactory(organisation=owner.organisation)
    there = InvitationFactory(organisation=theirs.organisation)
    client.force_login(me.user)

    statuses = set()
    for member, invitation in [(owner, here), (theirs, there)]:
        data = {**forged, "member": member.pk, "invitation": invitation.pk}
        statuses.add(client.post("/orgs/acme/", data).status_code)
        if forged["action"] != "invite":  # an owner of "mine" may invite there, of course
            # Being an owner elsewhere gives no say over another organisation's ids.
            statuses.add(client.post("/orgs/mine/", {**data, "role": "member"}).status_code)

    assert statuses <= {302, 400, 403, 404}
    assert set(Membership.objects.values_list("pk", "role")) == {
        (owner.pk, Role.OWNER),
        (me.pk, Role.MEMBER),
        (theirs.pk, Role.OWNER),
        (mine_too.pk, Role.OWNER),
    }
    for invitation in (here, there):
        before = invitation.token_hash
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.PENDING
        assert invitation.token_hash == before
    assert outbox == []


def test_an_admin_cannot_make_themselves_an_owner(client):
    owner = MembershipFactory(role=Role.OWNER, organisation__slug="acme")
    admin = MembershipFactory(role=Role.ADMIN, organisation=owner.organisation)
    client.force_login(admin.user)

    response = client.post(
        "/orgs/acme/", {"action": "change_role", "member": admin.pk, "role": "owner"}
    )

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_markup_in_an_organisation_name_is_text_on_every_page_and_in_the_mail(client, outbox):
    name = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    owner = UserFactory(name="<b>Ada</b>")
    client.force_login(owner)
    response = client.post(ORGS, {"name": name}, follow=True)
    slug = Organisation.objects.get().slug
    pages = [response, client.get(ORGS)]
    invite(client, "grace@example.com", slug=slug)
    pages.append(client.get(f"/orgs/{slug}/"))
    link = link_in(outbox[0]).removeprefix("https://id.example.test")
    grace = UserFactory(email="grace@example.com")
    client.force_login(grace)
    pages.append(client.get(ORGS))
    pages.append(client.get(link))
    pages.append(client.post(link, {"action": "accept"}, follow=True))
    pages.append(client.post(f"/orgs/{slug}/", {"action": "leave"}, follow=True))

    for page in pages:
        content = page.content.decode()
        assert "<script>alert" not in content and "<img src=x" not in content
        assert "<b>Ada</b>" not in content
    assert "<script>alert" not in html_of(outbox[0]) and "<b>Ada</b>" not in html_of(outbox[0])


def test_mail_scanners_opening_the_link_change_nothing(client):
    grace = UserFactory(email="grace@example.com")
    InvitationFactory(email="grace@example.com", token="s" * 43)
    client.force_login(grace)

    for method in (client.get, client.head, client.options):
        method(f"/invitations/{'s' * 43}/?action=accept")

    assert Invitation.objects.get().state == Invitation.State.PENDING
    assert not Membership.objects.filter(user=grace).exists()


def test_signing_up_with_the_invited_address_without_its_code_never_accepts(outbox):
    owner = MembershipFactory(role=Role.OWNER, organisation__slug="acme")
    InvitationFactory(organisation=owner.organisation, email="grace@example.com", token="u" * 43)
    link = f"/invitations/{'u' * 43}/"
    mallory = Client(REMOTE_ADDR="198.51.100.7")
    passphrase = "mallory's long and unusual passphrase"

    mallory.post(
        "/accounts/signup/", {"email": "grace@example.com", "password": passphrase, "next": link}
    )
    assert 'value="accept"' not in mallory.get(link).content.decode()
    assert mallory.post(link, {"action": "accept"})["Location"].startswith("/accounts/login/")
    signed_in = mallory.post(
        "/accounts/login/", {"email": "grace@example.com", "password": passphrase, "next": link}
    )
    assert signed_in["Location"] == "/accounts/verify/"  # the code, sent to Grace, comes first
    assert mallory.post(link, {"action": "accept"})["Location"].startswith("/accounts/login/")
    assert mallory.post(ORGS, {"action": "accept", "invitation": "1"}).status_code == 302

    assert not Membership.objects.filter(user__email="grace@example.com").exists()
    assert Invitation.objects.get().state == Invitation.State.PENDING
    assert all(message.to == ["grace@example.com"] for message in outbox)
