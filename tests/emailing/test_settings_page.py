"""An admin configures e-mail on Settings -> Email, tests it, and saves it."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils.html import escape

from emailing.messages import send_message
from emailing.models import EmailLog, EmailSettings
from tests.factories import EmailSettingsFactory, UserFactory
from tests.fakes.resend_api import FULL_KEY, OWNER, SENDING_KEY
from tests.fakes.smtp_server import SMTP_PASSWORD, SMTP_USER, SMTPServer

PAGE = reverse("emailing:settings")
NEW_KEY = "re_brand_new_key_000054321"

pytestmark = pytest.mark.django_db


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="emailing", codename__in=codenames)
    )


@pytest.fixture
def admin(client):
    user = UserFactory(staff=True, email=OWNER, name="Olive Owner")
    grant(user, "view_emailsettings", "change_emailsettings")
    client.force_login(user)
    return user


def resend_form(**overrides):
    return {
        "provider": "resend",
        "from_email": f"Hygate <{OWNER}>",
        "resend_api_key": "",
        "smtp_security": "starttls",
        **overrides,
    }


def smtp_form(port, **overrides):
    return {
        "provider": "smtp",
        "from_email": "Hygate <id@hygate.example>",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(port),
        "smtp_security": "none",
        "smtp_username": SMTP_USER,
        "smtp_password": "",
        **overrides,
    }


def test_only_staff_may_open_the_page(client):
    assert client.get(PAGE)["Location"] == f"/accounts/login/?next={PAGE}"
    client.force_login(UserFactory())
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, resend_form(action="save")).status_code == 403
    assert not EmailSettings.objects.exists()


def test_staff_without_permissions_cannot_redirect_everyones_mail(client, smtp_server):
    """A staff flag alone once let anyone point every reset link at their own SMTP host."""
    client.force_login(UserFactory(staff=True))

    assert client.get(PAGE).status_code == 403
    attack = smtp_form(smtp_server.port, smtp_host="mail.attacker.example", action="save")
    assert client.post(PAGE, attack).status_code == 403
    assert client.post(PAGE, {**attack, "action": "test"}).status_code == 403
    assert not EmailSettings.objects.exists()
    assert smtp_server.inbox.messages == []


def test_staff_who_may_only_view_see_the_settings_but_cannot_change_them(client):
    viewer = UserFactory(staff=True)
    grant(viewer, "view_emailsettings")
    client.force_login(viewer)

    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'value="save"' not in page.content.decode()
    assert "needs the permission to change" in page.content.decode()
    assert client.post(PAGE, resend_form(action="save", resend_api_key=NEW_KEY)).status_code == 403
    assert not EmailSettings.objects.exists()


def test_a_superuser_may_change_the_settings_without_explicit_permissions(client, resend_api):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(PAGE, resend_form(action="save", resend_api_key=NEW_KEY))
    assert response.status_code == 302
    assert EmailSettings.objects.get().get_resend_api_key() == NEW_KEY


def test_the_page_shows_the_environment_with_the_key_masked(client, admin, resend_api):
    page = client.get(PAGE).content.decode()
    assert "Environment variables" in page
    assert "re_...6789" in page
    assert FULL_KEY not in page
    assert 'type="password"' in page
    assert 'name="action" value="test"' in page and 'name="action" value="save"' in page


def test_a_wrong_key_is_named_with_advice_and_nothing_is_saved(client, admin, resend_api):
    response = client.post(PAGE, resend_form(resend_api_key="re_wrong_key_11112222", action="test"))
    page = response.content.decode()
    assert "Error code <code>invalid_api_key</code>" in page
    assert "The API key is not valid" in page
    assert "API key is invalid" in page  # the provider's own words
    assert "re_wrong_key_11112222" not in page
    assert not EmailSettings.objects.exists()


def test_a_missing_key_is_named(client, admin, resend_api, settings):
    settings.RESEND_API_KEY = ""
    page = client.post(PAGE, resend_form(action="test")).content.decode()
    assert "Error code <code>missing_api_key</code>" in page


def test_an_unverified_domain_is_named(client, admin, resend_api):
    page = client.post(
        PAGE,
        resend_form(from_email="Hygate <id@unverified.example>", action="test"),
    ).content.decode()
    assert "Error code <code>domain_not_verified</code>" in page
    assert "resend.com/domains" in page
    assert "Domain unverified.example:" in page
    assert "not added to this Resend account" in page


def test_the_shared_sender_to_a_stranger_is_named(client, admin, resend_api):
    page = client.post(
        PAGE,
        resend_form(
            from_email="onboarding@resend.dev",
            test_recipient="stranger@example.com",
            action="test",
        ),
    ).content.decode()
    assert "Error code <code>domain_not_verified</code>" in page
    assert "onboarding@resend.dev delivers only" in page


def test_a_good_key_sends_to_the_admin_and_shows_the_message_id(client, admin, resend_api):
    page = client.post(PAGE, resend_form(resend_api_key=NEW_KEY, action="test"))
    # NEW_KEY is unknown to the stand-in until the account has it.
    assert "invalid_api_key" in page.content.decode()

    resend_api.account.keys[NEW_KEY] = "full"
    page = client.post(PAGE, resend_form(resend_api_key=NEW_KEY, action="test")).content.decode()
    delivered = resend_api.delivered[-1]
    assert "Test message sent" in page
    assert delivered["id"] in page
    assert " ms." in page
    assert delivered["payload"]["to"] == [OWNER]
    assert "Hygate test message" in delivered["payload"]["subject"]
    assert "Domain verified.example:" in page and "verified in Resend" in page
    assert not EmailSettings.objects.exists()
    assert EmailLog.objects.filter(kind="test", status="sent").count() == 1


def test_a_sending_only_key_says_the_domain_check_needs_full_access(client, admin, resend_api):
    page = client.post(
        PAGE, resend_form(resend_api_key=SENDING_KEY, action="test")
    ).content.decode()
    assert "Test message sent" in page
    assert "checking domains needs a full-access key" in page


def test_the_test_can_go_to_another_address(client, admin, resend_api):
    client.post(PAGE, resend_form(test_recipient=OWNER.upper(), action="test"))
    assert resend_api.delivered[-1]["payload"]["to"] == [OWNER.upper()]


def test_saving_encrypts_the_key_records_who_and_later_mail_uses_it(
    client, admin, resend_api, caplog
):
    caplog.set_level(logging.INFO)
    resend_api.account.keys[NEW_KEY] = "full"
    response = client.post(PAGE, resend_form(resend_api_key=NEW_KEY, action="save"), follow=True)
    page = response.content.decode()
    assert "E-mail settings saved" in page
    assert "Saved on this page" in page
    assert "re_...4321" in page
    assert NEW_KEY not in page

    saved = EmailSettings.load()
    assert saved.updated_by == admin
    assert NEW_KEY not in saved.resend_api_key
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM emailing_emailsettings")
        assert NEW_KEY not in str(cursor.fetchall())
    entry = LogEntry.objects.get()
    assert entry.user == admin
    assert "Resend API key" in entry.change_message
    assert NEW_KEY not in entry.change_message

    send_message("verification_code", "someone@verified.example", {"code": "123456"})
    assert resend_api.requests[-1]["headers"]["authorization"] == f"Bearer {NEW_KEY}"
    assert NEW_KEY not in caplog.text


def test_a_blank_key_keeps_the_saved_one(client, admin, resend_api):
    EmailSettingsFactory(api_key=FULL_KEY)
    response = client.post(PAGE, resend_form(from_email=f"Ops <{OWNER}>", action="save"))
    assert response.status_code == 302
    saved = EmailSettings.load()
    assert saved.get_resend_api_key() == FULL_KEY
    assert saved.from_email == f"Ops <{OWNER}>"
    assert saved.version == 2


def test_switching_provider_needs_the_secret_again(client, admin, resend_api):
    EmailSettingsFactory(
        provider="smtp",
        smtp_host="smtp.resend.com",
        smtp_port=465,
        smtp_security="ssl",
        smtp_username="resend",
        password=FULL_KEY,
    )
    # The SMTP password (an API key for Resend's relay) is never reused as the API key.
    tested = client.post(PAGE, resend_form(action="test")).content.decode()
    assert "Error code <code>missing_api_key</code>" in tested
    assert resend_api.requests == []
    saved = client.post(PAGE, resend_form(action="save"))
    assert saved.status_code == 400
    assert "Enter the Resend API key." in saved.content.decode()
    assert EmailSettings.load().provider == "smtp"


def test_a_saved_resend_key_is_not_sent_after_a_switch_to_smtp(client, admin, smtp_server):
    EmailSettingsFactory(api_key=FULL_KEY)
    page = client.post(PAGE, smtp_form(smtp_server.port, action="test")).content.decode()
    assert "Test message sent" in page
    assert smtp_server.inbox.logins == []  # no password at all, not the API key


def test_a_new_smtp_host_never_gets_the_saved_password(client, admin):
    old = SMTPServer().start()
    new = SMTPServer().start()
    try:
        EmailSettingsFactory(
            provider="smtp",
            smtp_host="127.0.0.1",
            smtp_port=old.port,
            smtp_security="none",
            smtp_username=SMTP_USER,
            password=SMTP_PASSWORD,
        )
        # Same destination, blank password: the saved password is used.
        same = client.post(PAGE, smtp_form(old.port, action="test")).content.decode()
        assert "Test message sent" in same
        assert old.inbox.logins == [(SMTP_USER, SMTP_PASSWORD)]

        # Another port (another server), blank password: refused before any connection.
        moved = client.post(PAGE, smtp_form(new.port, action="test"))
        assert moved.status_code == 400
        assert "Enter the password again" in moved.content.decode()
        assert new.inbox.logins == [] and new.inbox.messages == []

        for change in ({"smtp_username": "someone-else"}, {"smtp_security": "starttls"}):
            response = client.post(PAGE, smtp_form(old.port, action="save", **change))
            assert "Enter the password again" in response.content.decode()
        assert EmailSettings.load().smtp_username == SMTP_USER
    finally:
        old.stop()
        new.stop()


def test_smtp_settings_are_saved_and_used(client, admin, smtp_server):
    response = client.post(
        PAGE, smtp_form(smtp_server.port, smtp_password=SMTP_PASSWORD, action="save")
    )
    assert response.status_code == 302
    send_message("verification_code", "someone@example.com", {"code": "123456"})
    [received] = smtp_server.inbox.messages
    assert received["to"] == ["someone@example.com"]
    assert received["from"] == "id@hygate.example"
    assert EmailLog.objects.get().provider == "smtp"


def test_the_resend_relay_preset_fills_the_form(client, admin):
    page = client.post(PAGE, resend_form(action="relay")).content.decode()
    assert 'value="smtp.resend.com"' in page
    assert 'value="465"' in page
    assert 'value="resend"' in page
    assert not EmailSettings.objects.exists()


@pytest.mark.parametrize("bad", ["not an address", "Name <nope>", "a@b@c.com", ""])
def test_a_bad_from_address_is_refused(client, admin, resend_api, bad):
    response = client.post(PAGE, resend_form(from_email=bad, resend_api_key=NEW_KEY, action="save"))
    assert response.status_code == 400
    assert not EmailSettings.objects.exists()


def test_saving_the_shared_sender_warns(client, admin, resend_api):
    response = client.post(
        PAGE,
        resend_form(from_email="onboarding@resend.dev", resend_api_key=NEW_KEY, action="save"),
        follow=True,
    )
    assert "Resend&#x27;s shared testing sender" in response.content.decode()


def test_an_unreadable_saved_key_is_a_clear_message_not_a_500(client, admin, settings):
    EmailSettingsFactory(api_key=FULL_KEY)
    settings.HYGATE_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "cannot be decrypted: was HYGATE_ENCRYPTION_KEY changed?" in page.content.decode()

    delivery = send_message("verification_code", "someone@example.com", {"code": "123456"})
    assert not delivery.sent
    assert EmailLog.objects.get().status == "failed"


def test_a_save_in_another_process_reaches_this_one(client, admin, resend_api):
    EmailSettingsFactory(api_key=FULL_KEY)
    send_message("verification_code", "a@example.com", {"code": "1"})
    # Another process saves: only the database changes, with a new version.
    EmailSettings.objects.filter(pk=1).update(
        from_email="Second <second@verified.example>", version=F("version") + 1
    )
    send_message("verification_code", "b@example.com", {"code": "2"})
    assert resend_api.delivered[-1]["payload"]["from"] == "Second <second@verified.example>"


def test_the_page_lists_the_last_deliveries(client, admin):
    for n in range(25):
        EmailLog.objects.create(
            kind="notice", recipient=f"r{n}@example.com", subject="s", status="sent"
        )
    page = client.get(PAGE).content.decode()
    assert "r24@example.com" in page
    assert "r4@example.com" not in page
    assert reverse("admin:emailing_emaillog_changelist") in page


def test_the_delivery_log_is_read_only_in_the_admin(client, admin):
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)  # the grant ended the sessions it had
    entry = EmailLog.objects.create(kind="notice", recipient="r@example.com", subject="s")
    changelist = client.get(reverse("admin:emailing_emaillog_changelist") + "?status__exact=queued")
    assert changelist.status_code == 200
    assert "r@example.com" in changelist.content.decode()
    assert client.get(reverse("admin:emailing_emaillog_add")).status_code == 403
    detail = client.post(reverse("admin:emailing_emaillog_change", args=[entry.pk]), {})
    assert detail.status_code == 403


def test_test_connection_answers_after_one_attempt(client, admin, resend_api):
    from tests.fakes.resend_api import Failure

    resend_api.fail_next(Failure(503, "application_error", "Service unavailable"))
    page = client.post(PAGE, resend_form(action="test")).content.decode()
    assert "Error code <code>provider_error</code>" in page
    assert "Service unavailable" in page
    assert EmailLog.objects.get(kind="test").attempts == 1


def test_a_script_may_leave_out_smtp_security_for_resend(client, admin, resend_api):
    data = {"provider": "resend", "from_email": f"Hygate <{OWNER}>", "resend_api_key": NEW_KEY}
    response = client.post(PAGE, {**data, "action": "save"})
    assert response.status_code == 302
    assert EmailSettings.load().get_resend_api_key() == NEW_KEY


def test_test_connection_says_how_long_the_provider_asks_to_wait(client, admin, resend_api):
    from tests.fakes.resend_api import Failure

    resend_api.fail_next(
        Failure(429, "rate_limit_exceeded", "Too many requests.", {"retry-after": "60"})
    )
    page = client.post(PAGE, resend_form(action="test")).content.decode()
    assert "Error code <code>rate_limit_exceeded</code>" in page
    assert "wait 60 s before trying again" in page


MARKUP = ("<!--", "<script>alert(1)</script>", '"><b>bold</b>')


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_in_saved_settings_is_shown_as_text_and_the_page_still_works(client, admin, markup):
    """A saved password ending in <!-- once hid the buttons and the log behind a comment."""
    EmailSettingsFactory(
        provider="smtp",
        smtp_host=f"mail{markup}.example",
        smtp_port=587,
        smtp_security="starttls",
        smtp_username=f"user{markup}",
        password=f"a long password{markup}",
        api_key=f"re_long_resend_key{markup}",
    )
    EmailLog.objects.create(kind="notice", recipient="logged@example.com", subject="s")

    page = client.get(PAGE).content.decode()

    assert markup not in page
    tail = escape(markup[-4:])  # the masked tails, as text
    assert f"A key is saved (re_...{tail}). Leave blank to keep it." in page
    assert f"A password is saved (...{tail}). Leave blank to keep it." in page
    assert escape(f"mail{markup}.example") in page
    assert escape(f"user{markup}") in page
    assert 'name="action" value="test"' in page and 'name="action" value="save"' in page
    assert "logged@example.com" in page
    assert page.rstrip().endswith("</html>")


@pytest.mark.parametrize("action", ["test", "save"])
def test_a_password_is_never_sent_unencrypted_to_another_machine(client, admin, action):
    response = client.post(
        PAGE,
        smtp_form(
            25, smtp_host="mail.example.net", smtp_password="a secret password", action=action
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "the password would cross the network unencrypted" in page
    assert "Test message sent" not in page and "Test failed" not in page
    assert not EmailSettings.objects.exists()
    assert not EmailLog.objects.exists()  # no connection was tried


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"])
def test_a_relay_on_this_machine_may_take_a_password_without_encryption(client, admin, host):
    response = client.post(
        PAGE, smtp_form(25, smtp_host=host, smtp_password="a secret password", action="save")
    )
    assert response.status_code == 302
    assert EmailSettings.load().get_smtp_password() == "a secret password"


def test_a_saved_cleartext_login_to_another_machine_must_be_fixed_before_use(client, admin):
    EmailSettingsFactory(
        provider="smtp",
        smtp_host="mail.example.net",
        smtp_port=25,
        smtp_security="none",
        smtp_username=SMTP_USER,
        password=SMTP_PASSWORD,
    )
    response = client.post(PAGE, smtp_form(25, smtp_host="mail.example.net", action="test"))
    assert response.status_code == 400
    assert "the password would cross the network unencrypted" in response.content.decode()


@pytest.fixture
def elsewhere():
    """Another Resend-shaped API that RESEND_API_URL may later point at."""
    from tests.fakes.resend_api import FakeResend

    server = FakeResend().start()
    yield server
    server.stop()


def test_a_saved_key_goes_only_to_the_api_it_was_saved_for(
    client, admin, resend_api, elsewhere, settings
):
    resend_api.account.keys[NEW_KEY] = "full"
    client.post(PAGE, resend_form(resend_api_key=NEW_KEY, action="save"))
    assert EmailSettings.load().resend_api_url == resend_api.url
    assert resend_api.url in client.get(PAGE).content.decode()

    # Later RESEND_API_URL points somewhere else (a proxy, a typo, a hostile change).
    settings.RESEND_API_URL = elsewhere.url
    delivery = send_message("verification_code", "someone@verified.example", {"code": "1"})
    assert delivery.sent
    assert resend_api.requests[-1]["headers"]["authorization"] == f"Bearer {NEW_KEY}"

    # The form's API URL is the new one: a blank key no longer means the saved one.
    for action in ("test", "save"):
        response = client.post(PAGE, resend_form(action=action))
        assert response.status_code == 400
        assert "Enter the API key again" in response.content.decode()
    assert elsewhere.requests == []
    assert EmailSettings.load().resend_api_url == resend_api.url


def test_typing_the_key_again_saves_it_for_the_new_api_url(
    client, admin, resend_api, elsewhere, settings
):
    EmailSettingsFactory(api_key=FULL_KEY)
    settings.RESEND_API_URL = elsewhere.url + "/"
    response = client.post(PAGE, resend_form(resend_api_key=FULL_KEY, action="save"))
    assert response.status_code == 302
    assert EmailSettings.load().resend_api_url == elsewhere.url  # without the trailing slash
    assert send_message("verification_code", "someone@verified.example", {"code": "1"}).sent
    assert elsewhere.requests[-1]["path"] == "/emails"


@pytest.fixture
def relay_without_login():
    """A relay that offers no AUTH at all, as a relay on a trusted network does."""
    from aiosmtpd.controller import Controller

    from tests.fakes.smtp_server import Inbox, free_port

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


def saved_smtp_login(port):
    return EmailSettingsFactory(
        provider="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_username=SMTP_USER,
        password=SMTP_PASSWORD,
    )


def test_a_relay_without_login_can_be_tested_and_saved_after_a_password_was_saved(
    client, admin, relay_without_login
):
    saved_smtp_login(relay_without_login.port + 1)
    form = smtp_form(relay_without_login.port, smtp_username="", smtp_password="")

    page = client.post(PAGE, {**form, "action": "test"}).content.decode()
    assert "Enter the password again" not in page
    assert "Test message sent" in page
    assert len(relay_without_login.inbox.messages) == 1

    assert client.post(PAGE, {**form, "action": "save"}).status_code == 302
    saved = EmailSettings.load()
    assert (saved.smtp_username, saved.smtp_password) == ("", "")


def test_a_saved_password_can_be_removed(client, admin, relay_without_login):
    saved_smtp_login(relay_without_login.port)
    assert "Remove the saved password" in client.get(PAGE).content.decode()

    response = client.post(
        PAGE,
        smtp_form(
            relay_without_login.port,
            remove_smtp_password="on",
            action="save",
        ),
    )

    assert response.status_code == 302
    saved = EmailSettings.load()
    assert saved.smtp_password == ""
    assert saved.smtp_username == SMTP_USER
    entry = LogEntry.objects.get()
    assert "SMTP password" in entry.change_message
    page = client.get(PAGE).content.decode()
    assert "Remove the saved password" not in page


def test_a_server_that_offers_no_login_is_a_login_problem_with_advice(
    client, admin, relay_without_login
):
    page = client.post(
        PAGE,
        smtp_form(relay_without_login.port, smtp_password=SMTP_PASSWORD, action="test"),
    ).content.decode()

    assert "Error code <code>smtp_auth_failed</code>" in page
    assert "could not reach" not in page
    assert "does not offer login" in page
    assert "leave the username and password blank" in page
    assert relay_without_login.inbox.messages == []
