"""Staff register apps: Settings -> Apps (by its own permissions) and `manage.py oidc_client`."""

import json
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from oauth2_provider.models import get_application_model

from audit.models import AuditEvent
from oidc.models import SigningKey
from tests.factories import UserFactory
from tests.oidc.conftest import APP_CALLBACK
from tests.oidc.relying_party import Browser, RelyingParty

pytestmark = pytest.mark.django_db
Application = get_application_model()
APPS = reverse("oidc:apps")
NEW = reverse("oidc:app_new")


def staff_with(*codenames: str):
    user = UserFactory(staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="oauth2_provider", codename__in=codenames)
    )
    return user


def client_of(user):
    browser = Browser()
    browser.client.force_login(user)
    return browser.client


def test_the_command_prints_json_and_the_secret_works_once_stored_hashed():
    out = StringIO()
    call_command(
        "oidc_client",
        "create",
        "--name",
        "Wiki",
        "--redirect-uri",
        APP_CALLBACK,
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--post-logout-redirect-uri",
        "https://wiki.example.org/bye",
        "--trusted",
        stdout=out,
    )
    answer = json.loads(out.getvalue())
    app = Application.objects.get(client_id=answer["client_id"])
    assert answer["client_secret"] not in app.client_secret  # only its hash is kept
    assert app.client_secret.startswith("hygate_client_secret_sha256$")
    assert app.skip_authorization and app.client_type == "confidential"
    assert app.redirect_uris.split() == [APP_CALLBACK, "http://127.0.0.1/callback"]
    assert AuditEvent.objects.filter(action="oidc_app_registered").exists()

    rp = RelyingParty(answer["client_id"], answer["client_secret"], APP_CALLBACK)
    browser = Browser()
    browser.client.force_login(UserFactory())
    _, left = browser.go(rp.authorization_url())
    assert rp.verify(rp.fetch_token(left)["id_token"])["sub"]


def test_the_command_makes_a_public_client_without_a_secret():
    out = StringIO()
    call_command(
        "oidc_client",
        "create",
        "--name",
        "CLI",
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--public",
        stdout=out,
    )
    answer = json.loads(out.getvalue())
    assert "client_secret" not in answer
    assert Application.objects.get(client_id=answer["client_id"]).client_type == "public"


@pytest.mark.parametrize(
    "uri",
    [
        "http://wiki.example.org/cb",
        "https://*.example.org/cb",
        "https://a@wiki.example.org/cb",
        "https://wiki.example.org/cb#x",
        "javascript:alert(1)",
        "/relative",
    ],
)
def test_the_command_refuses_anything_but_exact_https_or_loopback_uris(uri):
    with pytest.raises(CommandError):
        call_command(
            "oidc_client", "create", "--name", "X", "--redirect-uri", uri, stdout=StringIO()
        )
    assert not Application.objects.exists()


def register_form(name="Grafana", redirect_uris=APP_CALLBACK, **extra) -> dict:
    return {
        "name": name,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": "",
        "public": "",
        "trusted": "",
        **extra,
    }


def test_staff_with_the_permission_register_an_app_and_see_the_secret_once():
    client = client_of(staff_with("view_application", "change_application"))
    page = client.post(NEW, register_form(), secure=True, follow=True)
    assert page.status_code == 200
    assert b"Grafana is registered" in page.content
    app = Application.objects.get(name="Grafana")
    secret = page.context["secret"]
    assert secret.encode() in page.content
    assert secret not in app.client_secret
    listing = client.get(APPS, secure=True)
    assert b"Grafana" in listing.content and secret.encode() not in listing.content
    assert (
        secret.encode()
        not in client.get(reverse("oidc:app_edit", args=[app.pk]), secure=True).content
    )


def test_reloading_the_registered_page_neither_registers_again_nor_shows_the_secret_again():
    client = client_of(staff_with("view_application", "change_application"))
    answer = client.post(NEW, register_form(), secure=True)
    shown = client.get(answer["Location"], secure=True)
    secret = shown.context["secret"]
    assert secret and secret.encode() in shown.content

    reloaded = client.get(answer["Location"], secure=True)
    assert reloaded.status_code == 200
    assert secret.encode() not in reloaded.content
    assert b"The client secret was shown once" in reloaded.content
    assert Application.objects.filter(name="Grafana").count() == 1
    # The secret never waits in the session in the clear.
    client.post(NEW, register_form("Kibana"), secure=True)
    kept = client.session["hygate.oidc.secret_once"]
    assert kept["secret"] and "Kibana" not in kept["secret"]


def test_a_new_secret_and_removal_each_ask_first_and_the_old_secret_works_until_confirmed():
    from tests.oidc.conftest import register

    app, old_secret = register()
    client = client_of(staff_with("view_application", "change_application"))
    edit = client.get(reverse("oidc:app_edit", args=[app.pk]), secure=True)
    assert b'href="%s"' % reverse("oidc:app_secret", args=[app.pk]).encode() in edit.content

    confirm = client.get(reverse("oidc:app_secret", args=[app.pk]), secure=True)
    assert b"Make a new client secret for Team wiki?" in confirm.content
    wiki = RelyingParty(app.client_id, old_secret, APP_CALLBACK)
    revoke = wiki.discovery["revocation_endpoint"]
    assert wiki.session.revoke_token(revoke, "x").ok  # the old secret still authenticates

    answer = client.post(reverse("oidc:app_secret", args=[app.pk]), secure=True)
    page = client.get(answer["Location"], secure=True)
    assert b"New secret for Team wiki" in page.content and page.context["secret"]
    assert wiki.session.revoke_token(revoke, "x").status_code == 401

    confirm = client.get(reverse("oidc:app_delete", args=[app.pk]), secure=True)
    assert b"Remove Team wiki?" in confirm.content
    assert Application.objects.filter(pk=app.pk).exists()
    client.post(reverse("oidc:app_delete", args=[app.pk]), secure=True)
    assert not Application.objects.filter(pk=app.pk).exists()


@pytest.mark.parametrize(
    ("uris", "message"),
    [
        ("not a url", "“not a url” is not a full URI"),
        ("https://wiki.example.org/a b/", "holds a space"),
        ("https://*.example.org/cb", "wildcards are not accepted"),
    ],
)
def test_a_bad_redirect_uri_is_named_in_one_error_summary(uris, message):
    client = client_of(staff_with("view_application", "change_application"))
    page = client.post(NEW, register_form(redirect_uris=uris), secure=True)
    assert page.status_code == 400
    assert message.encode() in page.content
    assert page.content.count(b'class="error-summary"') == 1


def test_a_help_desk_account_that_may_only_view_apps_cannot_change_them():
    client = client_of(staff_with("view_application"))
    assert client.get(APPS, secure=True).status_code == 200
    form = {"name": "Evil", "redirect_uris": "https://evil.example/cb"}
    assert client.post(NEW, form, secure=True).status_code == 403
    from tests.oidc.conftest import register

    app, _ = register()
    assert (
        client.post(reverse("oidc:app_edit", args=[app.pk]), form, secure=True).status_code == 403
    )
    for name in ("oidc:app_secret", "oidc:app_delete"):
        assert client.post(reverse(name, args=[app.pk]), secure=True).status_code == 403
        assert client.get(reverse(name, args=[app.pk]), secure=True).status_code == 403
    app.refresh_from_db()
    assert app.redirect_uris == APP_CALLBACK


def test_staff_without_the_permission_and_members_get_403():
    from tests.oidc.conftest import register

    app, _ = register()
    for user in (UserFactory(staff=True), UserFactory()):
        client = client_of(user)
        assert client.get(APPS, secure=True).status_code == 403
        assert client.get(reverse("oidc:app_edit", args=[app.pk]), secure=True).status_code == 403


def test_changing_an_app_is_recorded_and_uris_are_validated():
    from tests.oidc.conftest import register

    app, _ = register()
    client = client_of(staff_with("view_application", "change_application"))
    url = reverse("oidc:app_edit", args=[app.pk])
    bad = client.post(url, {"name": "Wiki", "redirect_uris": "http://evil.example/cb"}, secure=True)
    assert bad.status_code == 400 and b"Use https://" in bad.content
    client.post(
        url, {"name": "Wiki 2", "redirect_uris": "https://wiki.example.org/new/"}, secure=True
    )
    app.refresh_from_db()
    assert app.name == "Wiki 2" and app.redirect_uris == "https://wiki.example.org/new/"
    event = AuditEvent.objects.get(action="oidc_app_changed")
    assert "redirect URIs" in event.details["changed"]


def test_rotating_the_key_keeps_the_old_one_in_the_jwks_for_a_day(wiki):
    browser = Browser()
    browser.client.force_login(UserFactory())
    old_kids = {
        k["kid"]
        for k in wiki.session.get(wiki.discovery["jwks_uri"], withhold_token=True).json()["keys"]
    }
    page, left = browser.go(wiki.authorization_url())
    from tests.oidc.relying_party import hidden_inputs

    _, left = browser.go(
        reverse("oauth2_provider:authorize"),
        "post",
        {**hidden_inputs(page.content), "allow": "Authorize"},
    )
    old_token = wiki.fetch_token(left)["id_token"]

    call_command("oidc_rotate_key", stdout=StringIO())
    kids = {
        k["kid"]
        for k in wiki.session.get(wiki.discovery["jwks_uri"], withhold_token=True).json()["keys"]
    }
    assert old_kids < kids and len(kids) == 2
    assert wiki.verify(old_token)["sub"]
    _, left = browser.go(wiki.authorization_url())
    new_token = wiki.fetch_token(left)["id_token"]
    assert wiki.verify(new_token)["sub"]

    with time_machine.travel(
        SigningKey.objects.filter(retired_at__isnull=False).get().retired_at.timestamp()
        + 86400
        + 60
    ):
        from oidc import keys

        keys.forget()
        later = {
            k["kid"]
            for k in wiki.session.get(wiki.discovery["jwks_uri"], withhold_token=True).json()[
                "keys"
            ]
        }
        assert later == kids - old_kids
