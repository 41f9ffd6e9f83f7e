"""An owner creates an organisation and invites people, one by one and by a pasted list.

A newcomer signs up from the invitation and joins; someone who already has an account
signs in from it and joins.
"""

from playwright.sync_api import Page, expect

from e2e.browser import enter_code
from organisations.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory


def is_member(email: str, organisation: str) -> bool:
    return Membership.objects.filter(organisation__name=organisation, user__email=email).exists()


def test_an_invitation_accepted_by_a_newcomer(
    page, new_context, journey, inbox, sign_in, password, db
):
    UserFactory(email="owner@example.com", name="Olive Owner")
    sign_in("owner@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisations").click()
    expect(page.get_by_role("heading", name="Organisations", exact=True)).to_be_visible()
    journey.check("no organisation yet")

    page.get_by_label("Name", exact=True).fill("Analytical Engines")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="Analytical Engines")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Analytical Engines is created")
    journey.check("organisation created")

    invite = page.locator("form", has=page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("E-mail address").fill("ada@example.com")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".messages")).to_contain_text("ada@example.com")
    expect(page.get_by_role("cell", name="ada@example.com", exact=True)).to_be_visible()
    journey.check("invitation sent")

    newcomer = new_context().new_page()
    newcomer.set_default_timeout(10_000)
    newcomer.goto(inbox.link("ada@example.com"))
    expect(newcomer.get_by_role("heading", name="Invitation to Analytical Engines")).to_be_visible()
    journey.check("invitation opened by a visitor", newcomer)

    newcomer.get_by_role("main").get_by_role("link", name="Create an account").click()
    expect(newcomer.get_by_role("heading", name="Create an account")).to_be_visible()
    expect(newcomer.get_by_label("E-mail address")).to_have_value("ada@example.com")
    journey.check("sign-up from the invitation", newcomer)
    newcomer.get_by_label("Password", exact=True).fill(password)
    newcomer.get_by_role("button", name="Create account").click()
    expect(newcomer.get_by_role("heading", name="Check your inbox")).to_be_visible()
    # The code field sends the form by itself at the sixth digit (hygate.js).
    enter_code(newcomer.get_by_label("Code", exact=True), inbox.code("ada@example.com"))
    expect(newcomer.get_by_role("heading", name="Invitation to Analytical Engines")).to_be_visible()
    journey.check("back at the invitation, signed in", newcomer)

    newcomer.get_by_role("button", name="Accept and join Analytical Engines").click()
    expect(newcomer.get_by_role("heading", name="Analytical Engines")).to_be_visible()
    expect(newcomer.locator(".messages")).to_contain_text("You are a member of Analytical Engines")
    journey.check("joined", newcomer)
    assert is_member("ada@example.com", "Analytical Engines")


def open_bulk_form(page: Page) -> None:
    """Open the pasted-list form, folded away under its summary where the page folds it."""
    summary = page.locator("summary", has_text="Invite many people")
    if summary.count():
        summary.click()
    expect(page.get_by_label("Addresses, one a line", exact=False)).to_be_visible()


def test_a_bulk_invitation_accepted_by_someone_who_has_an_account(
    page, new_context, journey, inbox, sign_in, password, db
):
    owner = UserFactory(email="owner@example.com", name="Olive Owner")
    MembershipFactory(
        user=owner,
        organisation__name="Difference Engines",
        organisation__slug="difference-engines",
        role=Role.OWNER,
    )
    UserFactory(email="grace@example.com", name="Grace Hopper")
    sign_in("owner@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisations").click()
    page.get_by_role("main").get_by_role("link", name="Difference Engines").click()
    expect(page.get_by_role("heading", name="Difference Engines")).to_be_visible()
    open_bulk_form(page)
    journey.check("bulk form")

    page.get_by_label("Addresses, one a line", exact=False).fill(
        "grace@example.com\nlinus@example.com\nnot an address"
    )
    page.get_by_role("button", name="Invite everyone listed").click()
    report = page.locator(".bulk-report")
    expect(report.get_by_role("heading", name="Invitations from your list")).to_be_visible()
    expect(report).to_contain_text("2 invited")
    expect(report).to_contain_text("1 refused")
    expect(report).to_contain_text("not an address")
    journey.check("bulk report")

    grace = new_context().new_page()
    grace.set_default_timeout(10_000)
    grace.goto(inbox.link("grace@example.com"))
    expect(grace.get_by_role("heading", name="Invitation to Difference Engines")).to_be_visible()
    grace.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(grace.get_by_role("heading", name="Sign in")).to_be_visible()
    grace.get_by_label("E-mail address").fill("grace@example.com")
    grace.get_by_label("Password", exact=True).fill(password)
    grace.get_by_role("button", name="Sign in", exact=True).click()
    expect(grace.get_by_role("heading", name="Invitation to Difference Engines")).to_be_visible()
    journey.check("back at the invitation, signed in", grace)

    grace.get_by_role("button", name="Accept and join Difference Engines").click()
    expect(grace.get_by_role("heading", name="Difference Engines")).to_be_visible()
    expect(grace.locator(".messages")).to_contain_text("You are a member of Difference Engines")
    journey.check("joined", grace)
    assert is_member("grace@example.com", "Difference Engines")
    assert not is_member("linus@example.com", "Difference Engines")
