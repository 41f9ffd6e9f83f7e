"""No input breaks the portal: arbitrary posts to every form, header injection, huge bodies."""

from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.flows.password_reset import reset_link
from accounts.models import UserSession
from emailing.models import Suppression
from organisations.models import Role
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    InvitationFactory,
    MembershipFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.fakes.smtp_server import SMTP_PASSWORD, SMTP_USER
from tests.mailbox import code_in
from tests.site.portal_forms import FORMS, MID_SIGN_IN_FORMS, PortalForm

pytestmark = pytest.mark.django_db(transaction=False)

# Tables a refused post may still write to, on purpose: the audit log records refusals,
# and the session store keeps every visitor's (anonymous) session.
MAY_CHANGE_WHEN_REFUSED = {"audit_auditevent", "django_session"}
WORDS = [
    "", " ", "save", "test", "create", "invite", "accept", "decline", "resend", "revoke",
    "remove", "leave", "change_role", "start", "confirm", "owner", "admin", "member", "off",
    "email", "totp", "either", "resend", "smtp", "ssl", "none", "1", "0", "-1",
    "99999999999999999999", "123456", "owner@example.com", "new@example.com", "/", "//evil.example",
    "a@b.c\r\nBcc: evil@example.com", "<script>alert(1)</script>", "' OR 1=1 --",
    "relay", "bulk_invite", "verify", "recovery", "switch", "cancel",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    '{"type": "email.bounced", "data": {"email_id": "x", "to": ["a@b.c"]}}',
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=40),
    st.text(max_size=8).map(lambda s: f"{s}\x00{s}"),
    # Lone surrogates cannot be encoded as UTF-8: no browser can send them.
    st.characters(exclude_categories=("Cs",)).map(lambda c: c * 10_240),
)
# A field is missing (no value), sent once, or sent twice.
FIELD = st.lists(VALUES, max_size=2)


def row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and model._meta.db_table not in MAY_CHANGE_WHEN_REFUSED
    }


@pytest.fixture
def portal():
    """An owner (a superuser, so every page is open) signed in, and the links the forms need."""
    owner = UserFactory(email="owner@example.com", is_superuser=True, staff=True)
    membership = MembershipFactory(user=owner, organisation__slug="acme", role=Role.OWNER)
    MembershipFactory(organisation=membership.organisation)
    token = "fuzz-invitation-token-abcdefghijklmnopqrstuvwxyz0123"
    InvitationFactory(email=owner.email, organisation__slug="other", token=token)
    signed_in = Client()
    signed_in.post("/accounts/login/", {"email": owner.email, "password": DEFAULT_PASSWORD})
    signed_in.post("/accounts/security/password/", {"password": DEFAULT_PASSWORD})
    second = Client()
    second.force_login(owner)
    signed_out = Client()
    reset = signed_out.get(reset_link(owner).removeprefix("https://id.example.test"))
    return {
        "signed_in": signed_in,
        "signed_out": signed_out,
        "slug": "acme",
        "token": token,
        "reset": reset["Location"],
        "suppression": Suppression.objects.create(address="gone@example.com", reason="bounced").pk,
        "app": oidc_app().pk,
        "session": UserSession.objects.exclude(
            key_hash__in=[UserSession.objects.order_by("pk").first().key_hash]
        )
        .first()
        .pk,
    }


def oidc_app():
    from oidc import flows

    return flows.register_app(
        None,
        flows.AppSettings("Wiki", ["https://wiki.example.org/cb"], [], public=False, trusted=False),
        by=None,
    )[0]


@pytest.mark.parametrize("who", ["signed_out", "signed_in"])
@pytest.mark.parametrize("form", FORMS, ids=[f.url for f in FORMS])
def test_no_post_to_any_form_breaks_the_portal(form: PortalForm, who, portal, settings_rl):
    client = portal[who]
    url = form.url.format(**portal)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.fixed_dictionaries({name: FIELD for name in form.fields}), extra=FIELD)
    def post_anything(data, extra):
        payload = {name: values for name, values in data.items() if values}
        if extra:
            payload["unexpected"] = extra
        before = row_counts()
        response = client.post(url, payload)
        assert response.status_code < 500, (url, payload)
        if response.status_code >= 400:
            assert row_counts() == before, (url, response.status_code)

    post_anything()


def mid_sign_in(step: str) -> Client:
    """A visitor whose password was right, now at the second step or the required set-up."""
    SecurityPolicyFactory(two_factor_policy="either" if step == "2fa" else "totp")
    member = UserFactory()
    if step == "2fa":
        AuthenticatorFactory(user=member)
        RecoveryCodeFactory(user=member, code="abcde-fghij")
    visitor = Client()
    landed = visitor.post("/accounts/login/", {"email": member.email, "password": DEFAULT_PASSWORD})
    assert landed["Location"] == "/accounts/login/2fa/"
    if step == "enrol":
        code = code_in(mail.outbox[-1])
        landed = visitor.post("/accounts/login/2fa/", {"action": "verify", "code": code})
        assert landed["Location"] == "/accounts/login/2fa/enrol/"
    return visitor


@pytest.mark.parametrize("form", MID_SIGN_IN_FORMS, ids=[f.url for f in MID_SIGN_IN_FORMS])
def test_no_post_in_the_middle_of_a_sign_in_breaks_the_portal(form: PortalForm, settings_rl):
    step = "enrol" if form.url.endswith("/enrol/") else "2fa"

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.fixed_dictionaries({name: FIELD for name in form.fields}), extra=FIELD)
    def post_anything(data, extra):
        visitor = mid_sign_in(step)  # a fresh sign-in each time: "cancel" ends one
        payload = {name: values for name, values in data.items() if values}
        if extra:
            payload["unexpected"] = extra
        before = row_counts()
        response = visitor.post(form.url, payload)
        assert response.status_code < 500, (form.url, payload)
        if response.status_code >= 400:
            assert row_counts() == before, (form.url, response.status_code)

    post_anything()


@pytest.fixture
def settings_rl(settings):
    # One client posts hundreds of times: the limits would answer 429 to nearly all of it.
    settings.HYGATE_RATE_LIMITS = "off"


# --- header injection ---

CRLF_NAME = "Eve\r\nBcc: thief@evil.example"
CRLF_ORG = "Acme\r\nBcc: thief@evil.example\r\nSubject: pwned"


def invite_with_crlf(client: Client) -> list[int]:
    inviter = UserFactory(email="ada@example.com", name=CRLF_NAME)
    MembershipFactory(
        user=inviter, organisation__name=CRLF_ORG, organisation__slug="acme", role=Role.OWNER
    )
    client.force_login(inviter)
    refused = [
        client.post(
            "/orgs/acme/", {"action": "invite", "email": address, "role": "member"}
        ).status_code
        for address in (
            "victim@verified.example\r\nBcc: thief@evil.example",
            "victim@verified.example\nCc: thief@evil.example",
        )
    ]
    client.post(
        "/orgs/acme/", {"action": "invite", "email": "grace@verified.example", "role": "member"}
    )
    return refused


def test_crlf_in_names_and_addresses_never_reaches_a_resend_header(client, resend_api):
    refused = invite_with_crlf(client)

    assert refused == [400, 400]
    [delivered] = resend_api.delivered
    payload = delivered["payload"]
    assert payload["to"] == ["grace@verified.example"]
    assert "bcc" not in payload and "cc" not in payload
    assert "\r" not in payload["subject"] and "\n" not in payload["subject"]
    assert "thief@evil.example" not in str(payload.get("headers", {}))
    assert "thief" not in payload["from"] and "thief" not in str(payload.get("reply_to", ""))


def test_crlf_in_names_and_addresses_never_reaches_an_smtp_header(client, smtp_server, settings):
    settings.EMAIL_PROVIDER = "smtp"
    settings.SMTP_HOST = "127.0.0.1"
    settings.SMTP_PORT = smtp_server.port
    settings.SMTP_USERNAME = SMTP_USER
    settings.SMTP_PASSWORD = SMTP_PASSWORD
    settings.SMTP_SECURITY = "none"

    refused = invite_with_crlf(client)

    assert refused == [400, 400]
    [received] = smtp_server.inbox.messages
    assert received["to"] == ["grace@verified.example"]
    message = BytesParser(policy=default_policy).parsebytes(received["message"].as_bytes())
    assert message["Bcc"] is None and message["Cc"] is None
    assert message.get_all("Subject") == [message["Subject"]]
    assert "pwned" not in message["Subject"] or "\n" not in message["Subject"]
    assert [str(a.addr_spec) for a in message["To"].addresses] == ["grace@verified.example"]


# --- oversized requests ---


def test_a_ten_megabyte_post_gets_a_friendly_413_not_a_crash(client):
    response = client.post(
        "/accounts/login/", {"email": "a@example.com", "password": "x" * 10 * 1024 * 1024}
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Too much data" in page and "Nothing was saved" in page
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_thousands_of_tiny_fields_get_the_bad_request_page_not_a_crash(client):
    body = "&".join(f"f{n}=x" for n in range(5_000))  # far under 2.5 MB, over 1,000 fields

    response = client.post("/accounts/login/", body, "application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_a_body_sent_without_a_length_is_not_read_past_it(client):
    # A chunked upload reaches a WSGI app without Content-Length: Django reads none of it.
    body = b"email=a%40example.com&password=" + b"x" * (3 * 1024 * 1024)

    response = client.generic(
        "POST", "/accounts/login/", body, "application/x-www-form-urlencoded", CONTENT_LENGTH=""
    )

    assert response.status_code == 200
    assert "Sign in" in response.content.decode()
