"""An owner creates an organisation and invites a newcomer, who signs up and joins."""

from playwright.sync_api import expect

from organisations.models import Membership
from tests.factories import UserFactory


def test_an_invitation_accepted_by_a_newcomer(
    page, new_context, journey, inbox, sign_in, password, db
):
    UserFactory(email="owner@example.com", name="Olive Owner")
    sign_in("owner@example.com")
    page.goto("/orgs/")
    expect(page.get_by_role("heading", name="Organisations")).to_be_visible()
    journey.check("no organisation yet")

    page.get_by_label("Name").fill("Analytical Engines")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="Analytical Engines")).to_be_visible()
    journey.check("organisation created")

    invite = page.locator("form", has=page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("E-mail address").fill("ada@example.com")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("ada@example.com").first).to_be_visible()
    journey.check("invitation sent")

    newcomer = new_context().new_page()
    newcomer.set_default_timeout(10_000)
    newcomer.goto(inbox.link("ada@example.com"))
    expect(newcomer.get_by_role("heading", name="Invitation to Analytical Engines")).to_be_visible()
    journey.check("invitation opened by a visitor", newcomer)

    newcomer.get_by_role("main").get_by_role("link", name="Create an account").click()
    expect(newcomer.get_by_role("heading", name="Create an account")).to_be_visible()
    journey.check("sign-up from the invitation", newcomer)
    expect(newcomer.get_by_label("E-mail address")).to_have_value("ada@example.com")
    newcomer.get_by_label("Password", exact=True).fill(password)
    newcomer.get_by_role("button", name="Create account").click()
    newcomer.get_by_label("Code").fill(inbox.code("ada@example.com"))
    newcomer.get_by_role("button", name="Confirm").click()
    expect(newcomer.get_by_role("heading", name="Invitation to Analytical Engines")).to_be_visible()
    journey.check("back at the invitation, signed in", newcomer)

    newcomer.get_by_role("button", name="Accept and join Analytical Engines").click()
    expect(newcomer.get_by_role("heading", name="Analytical Engines")).to_be_visible()
    journey.check("joined", newcomer)
    assert Membership.objects.filter(
        organisation__name="Analytical Engines", user__email="ada@example.com"
    ).exists()
