"""An owner pastes a list of addresses on a phone and reads what became of each."""

from playwright.sync_api import expect

from e2e.browser import PHONE
from organisations.models import Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory


def test_a_list_pasted_on_a_phone_fits_the_card_and_its_report_comes_first(
    page, journey, sign_in, db
):
    owner = UserFactory(email="ada@example.com")
    acme = MembershipFactory(
        user=owner, organisation__name="Acme", organisation__slug="acme", role=Role.OWNER
    ).organisation
    InvitationFactory(organisation=acme, email="grace@example.com", invited_by=owner)
    sign_in("ada@example.com")
    page.goto("/orgs/acme/")
    page.get_by_text("Invite many people at once").click()
    textarea = page.get_by_label("Addresses, one a line")
    journey.check("bulk form open")

    page.set_viewport_size(PHONE)
    card = page.locator("section.card", has=textarea).bounding_box()
    box = textarea.bounding_box()
    assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    textarea.fill("grace@example.com\nlinus@example.com\nnot an address")
    page.get_by_role("button", name="Invite everyone listed").click()

    report = page.locator("#bulk-report")
    expect(report).to_be_focused()
    expect(report).to_contain_text("already invited, link sent again")
    expect(report).to_contain_text("grace@example.com")
    members = page.get_by_role("heading", name="Members", exact=True)
    assert report.bounding_box()["y"] < members.bounding_box()["y"]
    journey.check("bulk report")


def test_a_member_who_opens_the_admin_is_told_the_account_has_no_access(page, journey, sign_in, db):
    UserFactory(email="member@example.com")
    sign_in("member@example.com")

    page.goto("/admin/")

    expect(page.get_by_role("heading", name="No access to the administration")).to_be_visible()
    journey.check("admin refused")
    page.get_by_role("link", name="Go to your dashboard").click()
    page.wait_for_url("/")
