"""Settings -> Email as people use it: Enter, Test then Save, going back to the environment."""

from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AuditEvent
from emailing.models import EmailSettings
from tests.factories import EmailSettingsFactory, UserFactory
from tests.fakes.resend_api import FULL_KEY, OWNER
from tests.fakes.smtp_server import SMTP_PASSWORD, SMTP_USER

PAGE = reverse("emailing:settings")
ENVIRONMENT = "/settings/email/environment/"
NEW_KEY = "re_brand_new_key_000054321"

pytestmark = pytest.mark.django_db


class Forms(HTMLParser):
    """The forms of a page: for each, its field names and its submit buttons in tree order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.hidden_fieldsets: list[str] = []
        self._in_form = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = True
            self.forms.append({"fields": [], "buttons": [], "attrs": attrs})
        elif self._in_form and tag in ("input", "select", "textarea") and attrs.get("name"):
            self.forms[-1]["fields"].append(attrs["name"])
        elif self._in_form and tag == "button" and attrs.get("type", "submit") == "submit":
            self.forms[-1]["buttons"].append(attrs)
        elif tag == "fieldset" and "hidden" in attrs:
            self.hidden_fieldsets.append(attrs.get("data-provider", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False

    def form_with(self, field: str) -> dict:
        return next(form for form in self.forms if field in form["fields"])


@pytest.fixture
def fresh_key(resend_api, settings):
    """Resend's stand-in knows NEW_KEY; the environment has no key to fall back on."""
    resend_api.account.keys[NEW_KEY] = "full"
    settings.RESEND_API_KEY = ""
    return NEW_KEY


@pytest.fixture
def admin(client):
    user = UserFactory(staff=True, email=OWNER, name="Olive Owner")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="emailing",
            codename__in=["view_emailsettings", "change_emailsettings"],
        )
    )
    client.force_login(user)
    return user


def resend_form(**overrides) -> dict:
    return {
        "provider": "resend",
        "from_email": f"Hygate <{OWNER}>",
        "resend_api_key": "",
        **overrides,
    }


def test_enter_in_the_key_field_tests_or_saves_and_never_runs_the_relay_preset(client, admin):
    """Implicit submission uses the form's first submit button: it once filled in the relay."""
    forms = Forms(client.get(PAGE).content.decode())

    main = forms.form_with("resend_api_key")
    assert main["buttons"][0]["value"] in ("test", "save")
    assert [b["value"] for b in main["buttons"]] == ["test", "save"]
    assert "relay" in [b.get("value") for form in forms.forms for b in form["buttons"]]


def test_the_test_button_says_it_is_working_and_the_form_cannot_be_sent_twice(client, admin):
    main = Forms(client.get(PAGE).content.decode()).form_with("resend_api_key")
    assert "data-busy" in main["attrs"]
    assert main["buttons"][0]["data-busy-text"] == "Testing the connection…"


def test_a_tested_key_is_kept_for_save_without_being_shown(client, admin, fresh_key):
    tested = client.post(PAGE, resend_form(resend_api_key=NEW_KEY, action="test"))
    page = tested.content.decode()
    assert "Test message sent" in page
    assert "The key you tested is kept for Save (not shown)." in page
    assert NEW_KEY not in page
    assert NEW_KEY not in str(dict(client.session))  # encrypted in the session

    saved = client.post(PAGE, resend_form(action="save"), follow=True)

    assert "E-mail settings saved" in saved.content.decode()
    assert "In force: <strong>Resend (HTTP API)</strong>" in saved.content.decode()
    assert EmailSettings.load().get_resend_api_key() == NEW_KEY
    assert "kept for Save" not in client.get(PAGE).content.decode()


def test_a_tested_key_is_kept_only_a_few_minutes(client, admin, fresh_key):
    with time_machine.travel("2026-03-01 12:00", tick=False) as clock:
        client.post(PAGE, resend_form(resend_api_key=NEW_KEY, action="test"))
        clock.shift(11 * 60)
        response = client.post(PAGE, resend_form(action="save"))

    assert "Enter the Resend API key." in response.content.decode()
    assert not EmailSettings.objects.exists()


def test_a_tested_key_is_not_used_for_another_destination(client, admin, fresh_key, settings):
    client.post(PAGE, resend_form(resend_api_key=NEW_KEY, action="test"))
    settings.RESEND_API_URL = "https://elsewhere.example/"

    response = client.post(PAGE, resend_form(action="save"))

    assert "Enter the Resend API key." in response.content.decode()
    assert not EmailSettings.objects.exists()


def test_an_admin_goes_back_to_the_environments_settings(client, admin):
    EmailSettingsFactory(provider="smtp", smtp_host="mail.example.net", smtp_username=SMTP_USER)
    page = client.get(PAGE).content.decode()
    assert "Saved on this page" in page
    assert ENVIRONMENT in page

    question = client.get(ENVIRONMENT).content.decode()
    assert "Use the environment's e-mail settings?" in question
    assert "Remove the saved settings" in question
    assert EmailSettings.objects.exists()  # asking changes nothing

    after = client.post(ENVIRONMENT, follow=True).content.decode()

    assert not EmailSettings.objects.exists()
    assert "the environment&#x27;s are in force" in after
    assert "Environment variables" in after
    event = AuditEvent.objects.get(action=AuditEvent.Action.SETTINGS_CHANGED)
    assert (event.actor, event.target) == (admin, "email")


def test_only_those_who_may_change_the_settings_may_drop_them(client):
    EmailSettingsFactory()
    reader = UserFactory(staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_emailsettings"))
    client.force_login(reader)

    assert ENVIRONMENT not in client.get(PAGE).content.decode()
    assert client.get(ENVIRONMENT).status_code == 403
    assert client.post(ENVIRONMENT).status_code == 403
    assert EmailSettings.objects.exists()


def test_the_page_has_sections_and_shows_only_the_chosen_providers_fields(client, admin):
    page = client.get(PAGE).content.decode()
    for anchor in ("provider", "webhooks", "failover", "suppressions", "delivery-log", "previews"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert Forms(page).hidden_fieldsets == ["smtp"]

    smtp = client.get(f"{PAGE}?provider=smtp").content.decode()
    assert Forms(smtp).hidden_fieldsets == ["resend"]

    posted = client.post(PAGE, {**resend_form(), "provider": "smtp", "action": "save"})
    assert Forms(posted.content.decode()).hidden_fieldsets == ["resend"]


def test_errors_are_summed_up_at_the_top(client, admin):
    page = client.post(PAGE, resend_form(from_email="nobody", action="save")).content.decode()

    assert page.index('class="error-summary"') < page.index('id="provider"')
    assert "Enter an address like id@example.com" in page


def test_a_failed_test_has_a_human_headline_and_the_code_in_small(client, admin):
    form = {
        "provider": "smtp",
        "from_email": "Hygate <id@hygate.example>",
        "smtp_host": "127.0.0.1",
        "smtp_port": "9",  # discard: nothing listens
        "smtp_security": "none",
        "action": "test",
    }
    page = client.post(PAGE, form).content.decode()

    assert "Test failed: Could not reach the provider" in page
    assert "Error code <code>connection_failed</code>" in page


def test_a_saved_secret_is_described_never_as_set_in_brackets(client, admin):
    EmailSettingsFactory(provider="resend", api_key="re_short")  # too short to show a tail
    page = client.get(PAGE).content.decode()
    assert "(set)" not in page
    assert "A key is saved" in page

    EmailSettings.objects.all().delete()
    EmailSettingsFactory(provider="resend", api_key=FULL_KEY)
    page = client.get(PAGE).content.decode()
    assert "A key is saved (re_...6789)" in page


def test_wide_tables_scroll_in_a_focusable_region(client, admin):
    page = client.get(PAGE).content.decode()
    assert page.count('class="table-wrap" tabindex="0" role="region" aria-label=') == 2


def test_a_tested_smtp_password_is_kept_for_save_on_the_same_server(client, admin, smtp_server):
    form = {
        "provider": "smtp",
        "from_email": "Hygate <id@hygate.example>",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(smtp_server.port),
        "smtp_security": "none",
        "smtp_username": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
    }
    page = client.post(PAGE, {**form, "action": "test"}).content.decode()
    assert "Test message sent" in page
    assert "The password you tested is kept for Save (not shown)." in page
    assert "The key you tested" not in page and SMTP_PASSWORD not in page

    # Another port is another server: the kept password is not sent there.
    client.post(PAGE, {**form, "smtp_password": "", "smtp_port": "2", "action": "save"})
    assert EmailSettings.load().get_smtp_password() == ""

    client.post(PAGE, {**form, "action": "test"})
    client.post(PAGE, {**form, "smtp_password": "", "action": "save"})
    assert EmailSettings.load().get_smtp_password() == SMTP_PASSWORD
