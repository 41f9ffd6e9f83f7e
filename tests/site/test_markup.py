"""What screen readers and the Nu HTML checker read: unique ids, list semantics, machine times."""

import re
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client

from audit.events import Action, record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Markup(HTMLParser):
    """The ids of a page, what aria-describedby points at, and each element's ancestors."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.described_by: list[tuple[str, str]] = []  # (element name, id it points at)
        self.elements: list[tuple[dict, list[dict]]] = []  # (element, its open ancestors)
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **{name: value or "" for name, value in attrs}}
        if "id" in element:
            self.ids[element["id"]] += 1
        for target in element.get("aria-describedby", "").split():
            self.described_by.append((element.get("name", tag), target))
        self.elements.append((element, list(self._open)))
        if tag not in ("input", "br", "img", "meta", "link", "hr"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open and self._open.pop()["tag"] != tag:
            pass


def test_a_field_error_has_one_id_and_its_input_is_described_by_it(client):
    page = client.post(
        "/accounts/signup/", {"email": "not an address", "password": "short", "name": "Ada"}
    )

    markup = Markup(page.content.decode())
    assert markup.ids["id_email_error"] == 1
    assert markup.ids["id_password_error"] == 1
    assert ("email", "id_email_error") in markup.described_by
    assert not [id_ for id_, count in markup.ids.items() if count > 1]
    # Every description an input points at (its error, its help text) is on the page.
    assert [target for _, target in markup.described_by if target not in markup.ids] == []


def test_flash_messages_stay_a_list_inside_a_status_region(client):
    client.force_login(UserFactory())

    page = client.post("/orgs/", {"action": "create", "name": "Acme"}, follow=True)

    assert "Acme is created. You are its owner." in page.content.decode()
    markup = Markup(page.content.decode())
    [(messages, ancestors)] = [
        (element, ancestors)
        for element, ancestors in markup.elements
        if "messages" in element.get("class", "").split()
    ]
    assert messages["tag"] == "ul" and "role" not in messages
    assert [a for a in ancestors if a.get("role") == "status"]


def test_the_audit_log_states_each_time_as_a_valid_html_date_and_time():
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC), tick=False):
        record(None, Action.SIGN_IN_FAILED, reason="invalid_login")
    staff = UserFactory(staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    reviewer = Client()
    reviewer.force_login(staff)

    page = reviewer.get("/settings/audit/").content.decode()

    [stamp] = re.findall(r'<time datetime="([^"]+)">2026-03-01 10:00:00</time>', page)
    # HTML allows at most three fractional digits; the page shows whole seconds.
    assert stamp == "2026-03-01T10:00:00+0000"
