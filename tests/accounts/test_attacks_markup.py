"""Every page of signing in and of its security settings: CSRF tokens and marked inputs."""

from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.mailbox import code_in

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The forms, inputs and labels of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.inputs: list[dict] = []
        self.labelled: set[str] = set()
        self._label_depth = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({**attrs, "fields": []})
        elif tag == "label":
            if "for" in attrs:
                self.labelled.add(attrs["for"])
            self._label_depth += 1
        elif tag in ("input", "select", "textarea"):
            attrs = {**attrs, "tag": tag, "inside_label": self._label_depth > 0}
            self.inputs.append(attrs)
            if self.forms:
                self.forms[-1]["fields"].append(attrs)

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def check(html: str) -> list[str]:
    """Return what is wrong with the page's forms and inputs under the contract."""
    page, problems = Page(html), []
    for form in page.forms:
        names = {field.get("name") for field in form["fields"]}
        if form.get("method", "get").lower() != "post":
            problems.append(f"form to {form.get('action')} is not a POST")
        elif "csrfmiddlewaretoken" not in names:
            problems.append(f"form to {form.get('action')} has no CSRF token")
    for field in page.inputs:
        kind, name = field.get("type", "text"), field.get("name", "")
        if kind in ("hidden", "submit", "button"):
            continue
        if field.get("id") not in page.labelled and not field["inside_label"]:
            problems.append(f"{name} has no label")
        if kind == "email" and field.get("autocomplete") not in (
            "email",
            "username",
            "username webauthn",
        ):
            problems.append(f"{name} is an e-mail input without autocomplete")
        if kind == "password" and field.get("autocomplete") not in (
            "current-password",
            "new-password",
        ):
            problems.append(f"{name} is a password input without autocomplete")
        if name == "code" and (
            field.get("autocomplete") != "one-time-code" or field.get("inputmode") != "numeric"
        ):
            problems.append("the code input is not marked as a one-time numeric code")
    return problems


def visited(client: Client, url: str) -> str:
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_pages_of_signing_up_and_in_are_marked_and_protected(outbox):
    pages = {}
    visitor = Client()
    for name in ("signup", "login", "password_reset"):
        pages[name] = visited(visitor, reverse(f"accounts:{name}"))
    strong = "a long and unusual passphrase 42"
    visitor.post(reverse("accounts:signup"), {"email": "n@example.com", "password": strong})
    pages["verify"] = visited(visitor, reverse("accounts:verify"))
    assert "n@example.com" in pages["verify"]

    SecurityPolicyFactory(two_factor_policy="totp")
    member = UserFactory()
    RecoveryCodeFactory(user=member)
    AuthenticatorFactory(user=member)
    login = {"email": member.email, "password": DEFAULT_PASSWORD}
    visitor.post(reverse("accounts:login"), login)
    pages["login_2fa (app)"] = visited(visitor, reverse("accounts:login_2fa"))
    assert "Use a recovery code" in pages["login_2fa (app)"]

    newcomer = UserFactory()
    enrolling = Client()
    enrolling.post(reverse("accounts:login"), {**login, "email": newcomer.email})
    pages["login_2fa (e-mail)"] = visited(enrolling, reverse("accounts:login_2fa"))
    code = code_in(outbox[-1])
    enrolling.post(reverse("accounts:login_2fa"), {"action": "verify", "code": code})
    pages["login_enrol"] = visited(enrolling, reverse("accounts:login_enrol"))
    assert "otpauth://" in pages["login_enrol"]

    problems = {name: check(html) for name, html in pages.items()}
    assert problems == {name: [] for name in pages}


def test_the_security_pages_are_marked_and_protected():
    admin = UserFactory(is_staff=True)
    admin.user_permissions.add(*Permission.objects.filter(codename__endswith="securitypolicy"))
    admin.user_permissions.add(*Permission.objects.filter(codename__endswith="emailsettings"))
    client = Client()
    client.force_login(admin)
    pages = {"reauthenticate": visited(client, reverse("accounts:security_reauthenticate"))}
    client.post(reverse("accounts:security_reauthenticate"), {"password": DEFAULT_PASSWORD})
    with time_machine.travel("2026-11-25 10:00:10+00:00", tick=False):
        pages["security"] = visited(client, reverse("accounts:security"))
    # The first app needs a code from the inbox (issue 15 item 3).
    reenrol = reverse("accounts:security_reenrol")
    client.post(reenrol, {"action": "send"})
    pages["reenrol"] = visited(client, reenrol)
    client.post(reenrol, {"action": "verify", "code": code_in(mail.outbox[-1])})
    client.post(reverse("accounts:security_authenticator"), {"action": "start"})
    pages["authenticator"] = visited(client, reverse("accounts:security_authenticator"))
    pages["settings/security"] = visited(client, reverse("security_settings"))
    pages["settings/email"] = visited(client, "/settings/email/")
    AuthenticatorFactory(user=UserFactory())
    enrolled = AuthenticatorFactory().user
    client.force_login(enrolled)
    client.post(reverse("accounts:security_reauthenticate"), {"password": DEFAULT_PASSWORD})
    pages["remove"] = visited(client, reverse("accounts:security_remove_authenticator"))
    pages["recovery codes"] = visited(client, reverse("accounts:security_recovery_codes"))

    assert 'name="code"' in pages["authenticator"]
    assert 'name="two_factor_policy"' in pages["settings/security"]
    assert 'name="smtp_password"' in pages["settings/email"]
    problems = {name: check(html) for name, html in pages.items()}
    assert problems == {name: [] for name in pages}
