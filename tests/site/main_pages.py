"""The main pages of the portal as people meet them, with form errors and flash messages.

For the tests that read their markup (tests/site/test_html_validity.py). A new page joins
here: render it with the test client the way a visitor reaches it.
"""

from django.conf import settings
from django.core import mail
from django.core.exceptions import BadRequest
from django.test import Client, RequestFactory
from django.views import defaults

from accounts.flows.password_reset import reset_link
from audit.events import Action, record
from organisations.models import Role
from tests.accounts.totp_app import app_code, shown_secret
from tests.factories import (
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    InvitationFactory,
    MembershipFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from tests.fakes.smtp_server import SMTP_PASSWORD, SMTP_USER, SMTPServer, free_port
from tests.mailbox import code_in

UNDO = "/accounts/email/change/undo/forged-token/"


class Pages(dict[str, str]):
    """The HTML of each page the checker reads, by a name that says what it shows."""

    def keep(self, name: str, response, status: tuple[int, ...] = (200, 400)) -> None:
        """Keep a page, or a form shown again with its errors, unless told another status."""
        assert response.status_code in status, (name, response.status_code)
        self[name] = response.content.decode()


def signing_up_and_in(pages: Pages) -> None:
    visitor = Client()
    pages.keep("sign-in", visitor.get("/accounts/login/"))
    pages.keep("sign-up", visitor.get("/accounts/signup/"))
    pages.keep(
        "sign-up with errors",
        visitor.post("/accounts/signup/", {"email": "not an address", "password": "short"}),
    )
    pages.keep(
        "verify",
        visitor.post(
            "/accounts/signup/",
            {"email": "newcomer@example.com", "password": DEFAULT_PASSWORD, "name": "Ada"},
            follow=True,
        ),
    )
    pages.keep("verify with errors", visitor.post("/accounts/verify/", {"code": "12"}))
    pages.keep(
        "verify after a wrong code",
        visitor.post("/accounts/verify/", {"code": "000000"}, follow=True),
    )
    member = Client()
    member.post("/accounts/login/", {"email": UserFactory().email, "password": DEFAULT_PASSWORD})
    pages.keep("security, with this session listed", member.get("/accounts/security/"))
    pages.keep("sign-out", member.get("/accounts/logout/"))
    pages.keep(
        "sign-in with errors",
        Client().post("/accounts/login/", {"email": "someone@example.com", "password": "wrong"}),
    )


def second_step(pages: Pages) -> None:
    SecurityPolicyFactory(two_factor_policy="either")
    member = UserFactory()
    AuthenticatorFactory(user=member)
    RecoveryCodeFactory(user=member)
    visitor = Client()
    credentials = {"email": member.email, "password": DEFAULT_PASSWORD}
    pages.keep("second step", visitor.post("/accounts/login/", credentials, follow=True))
    pages.keep(
        "second step with errors",
        visitor.post("/accounts/login/2fa/", {"action": "verify", "code": "000000"}, follow=True),
    )
    pages.keep(
        "second step, a wrong recovery code",
        visitor.post(
            "/accounts/login/2fa/",
            {"action": "recovery", "recovery_code": "zzzzz-zzzzz"},
            follow=True,
        ),
    )
    pages.keep(
        "second step, recovery code with errors",
        visitor.post("/accounts/login/2fa/", {"action": "recovery", "recovery_code": "x"}),
    )
    SecurityPolicyFactory(two_factor_policy="totp")
    newcomer = UserFactory()
    enrolling = Client()
    credentials = {"email": newcomer.email, "password": DEFAULT_PASSWORD}
    enrolling.post("/accounts/login/", credentials)
    code = code_in(mail.outbox[-1])
    pages.keep(
        "second step, required app set-up",
        enrolling.post("/accounts/login/2fa/", {"action": "verify", "code": code}, follow=True),
    )
    pages.keep(
        "second step, required app set-up with errors",
        enrolling.post("/accounts/login/2fa/enrol/", {"code": "000000"}),
    )
    secret = shown_secret(pages["second step, required app set-up"])
    pages.keep(
        "second step, app set up and recovery codes shown",
        enrolling.post("/accounts/login/2fa/enrol/", {"code": app_code(secret)}),
    )
    SecurityPolicyFactory(two_factor_policy="off")


def password_reset(pages: Pages) -> None:
    visitor = Client()
    pages.keep("password reset", visitor.get("/accounts/password/reset/"))
    pages.keep(
        "password reset with errors",
        visitor.post("/accounts/password/reset/", {"email": "not an address"}),
    )
    pages.keep(
        "password reset sent",
        visitor.post("/accounts/password/reset/", {"email": "a@example.com"}, follow=True),
    )
    link = reset_link(UserFactory()).removeprefix(settings.HYGATE_SITE_URL)
    confirm = visitor.get(link, follow=True)
    pages.keep("password reset confirm", confirm)
    pages.keep(
        "password reset confirm with errors",
        visitor.post(
            confirm.redirect_chain[-1][0] if confirm.redirect_chain else link,
            {"new_password1": "one long passphrase", "new_password2": "another one"},
        ),
    )
    pages.keep(
        "password reset link used or expired",
        visitor.get("/accounts/password/reset/NA/forged-token/", follow=True),
    )


def own_account(pages: Pages) -> None:
    owner = UserFactory(email="owner@example.com")
    AuthenticatorFactory(user=owner)
    browser = Client()
    browser.force_login(owner)
    pages.keep("dashboard", browser.get("/"))
    pages.keep("security", browser.get("/accounts/security/"))
    pages.keep("security step-up", browser.get("/accounts/security/password/"))
    pages.keep(
        "security step-up with errors",
        browser.post("/accounts/security/password/", {"password": "wrong"}),
    )
    pages.keep(
        "password change with errors",
        browser.post(
            "/accounts/password/change/",
            {"current_password": "wrong", "new_password1": "a", "new_password2": "b"},
        ),
    )
    pages.keep("password change, current password asked", browser.get("/accounts/password/change/"))
    pages.keep("profile", browser.get("/accounts/profile/"))
    pages.keep(
        "profile saved, with a message",
        browser.post("/accounts/profile/", {"name": "Ada Lovelace"}, follow=True),
    )
    newcomer = Client()
    newcomer.force_login(UserFactory())
    newcomer.post("/accounts/security/password/", {"password": DEFAULT_PASSWORD})
    pages.keep(
        "e-mail change with errors",
        newcomer.post("/accounts/email/change/", {"email": "not an address"}),
    )
    pages.keep("security before an app", newcomer.get("/accounts/security/"))
    pages.keep("e-mail change undo, unknown link", newcomer.get(UNDO), status=(400,))
    pages.keep("e-mail change undo refused", newcomer.post(UNDO), status=(400,))
    pages.keep("password change", newcomer.get("/accounts/password/change/"))
    pages.keep(
        "e-mail change code",
        newcomer.post("/accounts/email/change/", {"email": "moved@example.com"}, follow=True),
    )
    pages.keep(
        "e-mail change code with errors",
        newcomer.post("/accounts/email/change/confirm/", {"code": "000000"}, follow=True),
    )
    pages.keep(
        "first app: confirm the inbox",
        newcomer.get("/accounts/security/authenticator/confirm-email/"),
    )
    newcomer.post("/accounts/security/authenticator/confirm-email/", {"action": "send"})
    pages.keep(
        "first app: confirm the inbox with errors",
        newcomer.post(
            "/accounts/security/authenticator/confirm-email/",
            {"action": "verify", "code": "000000"},
            follow=True,
        ),
    )
    newcomer.post(
        "/accounts/security/authenticator/confirm-email/",
        {"action": "verify", "code": code_in(mail.outbox[-1])},
    )
    scan = newcomer.post("/accounts/security/authenticator/", {"action": "start"}, follow=True)
    pages.keep("authenticator set-up", scan)
    pages.keep(
        "authenticator set-up with errors",
        newcomer.post("/accounts/security/authenticator/", {"action": "confirm", "code": "000000"}),
    )
    code = app_code(shown_secret(scan.content.decode()))
    pages.keep(
        "recovery codes shown, with a message",
        newcomer.post("/accounts/security/authenticator/", {"action": "confirm", "code": code}),
    )
    pages.keep("recovery codes", newcomer.get("/accounts/security/recovery-codes/"))
    pages.keep("remove the app", newcomer.get("/accounts/security/authenticator/remove/"))
    pages.keep("end other sessions", newcomer.get("/accounts/security/sessions/end-others/"))


def organisations(pages: Pages) -> None:
    owner = UserFactory()
    browser = Client()
    browser.force_login(owner)
    pages.keep("organisations", browser.get("/orgs/"))
    pages.keep(
        "organisation created, with a message",
        browser.post("/orgs/", {"action": "create", "name": "Acme"}, follow=True),
    )
    slug = owner.memberships.get().organisation.slug
    MembershipFactory(organisation=owner.memberships.get().organisation, role=Role.ADMIN)
    pages.keep(
        "organisation invitation sent, with a message",
        browser.post(
            f"/orgs/{slug}/",
            {"action": "invite", "email": "grace@example.com", "role": "member"},
            follow=True,
        ),
    )
    pages.keep(
        "organisation invite with errors",
        browser.post(f"/orgs/{slug}/", {"action": "invite", "email": "x", "role": "boss"}),
    )
    pages.keep(
        "organisation bulk invitations report",
        browser.post(
            f"/orgs/{slug}/",
            {
                "action": "bulk_invite",
                "emails": "ann@example.com\nnot an address",
                "role": "member",
            },
            follow=True,
        ),
    )
    invitee = UserFactory(email="invitee@example.com")
    InvitationFactory(email=invitee.email, token="markup-invitation-token-abcdefghijklmnopqrstu")
    guest = Client()
    guest.force_login(invitee)
    pages.keep(
        "invitation", guest.get("/invitations/markup-invitation-token-abcdefghijklmnopqrstu/")
    )
    pages.keep("invitations to answer", guest.get("/orgs/"))
    pages.keep(
        "invitation for someone else",
        browser.get("/invitations/markup-invitation-token-abcdefghijklmnopqrstu/"),
    )
    pages.keep("invitation unknown", guest.get("/invitations/no-such-token/"), status=(404,))


def site_settings(pages: Pages, smtp_server) -> None:
    admin = UserFactory(staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    relay = {
        "provider": "smtp",
        "from_email": "Hygate <id@hygate.example>",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(smtp_server.port),
        "smtp_security": "none",
        "smtp_username": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
    }
    pages.keep("settings email", browser.get("/settings/email/"))
    pages.keep(
        "settings email with errors",
        browser.post(
            "/settings/email/",
            {**relay, "smtp_port": "70000", "from_email": "nobody", "action": "save"},
        ),
    )
    pages.keep(
        "settings email, test connection failed",
        browser.post(
            "/settings/email/", {**relay, "smtp_port": str(free_port()), "action": "test"}
        ),
    )
    pages.keep(
        "settings email, test connection passed",
        browser.post("/settings/email/", {**relay, "action": "test"}),
    )
    pages.keep(
        "settings email saved, with a message",
        browser.post("/settings/email/", {**relay, "action": "save"}, follow=True),
    )
    pages.keep(
        "settings email, use the environment's settings",
        browser.get("/settings/email/environment/"),
    )
    pages.keep("settings email, smtp fields", browser.get("/settings/email/?provider=smtp"))
    pages.keep("e-mail preview", browser.get("/settings/email/previews/security-notice/"))
    pages.keep(
        "e-mail preview, dark", browser.get("/settings/email/previews/invitation/?scheme=dark")
    )
    pages.keep("e-mail preview, the mail", browser.get("/settings/email/previews/invitation/html/"))
    pages.keep("settings security", browser.get("/settings/security/"))
    pages.keep(
        "settings security saved, with a message",
        browser.post("/settings/security/", {"two_factor_policy": "email"}, follow=True),
    )
    record(None, Action.SIGN_IN_FAILED, target=admin, reason="invalid_login")
    pages.keep("settings audit", browser.get("/settings/audit/"))
    pages.keep(
        "settings audit filtered",
        browser.get("/settings/audit/?user=nobody&since=2026-03-02&until=2026-03-01"),
    )


def apps_signing_in_with_hygate(pages: Pages) -> None:
    """The OpenID Connect pages: an app's sign-in, consent, the user's apps, Settings -> Apps."""
    from urllib.parse import urlencode

    from oidc import flows

    callback = "https://wiki.example.org/oidc/callback/"
    app, _ = flows.register_app(
        None,
        flows.AppSettings("Team wiki", [callback], [callback], public=False, trusted=False),
        by=None,
    )
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": callback,
        "scope": "openid email profile organisations",
        "state": "s",
        "nonce": "n",
    }
    authorize = f"/o/authorize/?{urlencode(query)}"
    visitor = Client()
    pages.keep("sign-in to continue to an app", visitor.get(authorize, follow=True))
    pages.keep(
        "sign-up to continue to an app",
        visitor.get("/accounts/signup/", {"next": authorize}),
    )
    member = Client()
    member.force_login(UserFactory())
    pages.keep("consent", member.get(authorize))
    pages.keep(
        "broken sign-in link",
        member.get(f"/o/authorize/?{urlencode({**query, 'redirect_uri': 'https://x.example/'})}"),
    )
    pages.keep("your apps, none", member.get("/accounts/apps/"))
    member.post("/o/authorize/", {**query, "allow": "Authorize"})
    pages.keep("your apps", member.get("/accounts/apps/"))
    pages.keep("sign out of hygate, asked by an app", member.get("/o/logout/"))

    admin = Client()
    admin.force_login(UserFactory(staff=True, is_superuser=True))
    pages.keep("settings apps", admin.get("/settings/apps/"))
    pages.keep("settings apps, register", admin.get("/settings/apps/new/"))
    bad = {"name": "", "redirect_uris": "not a url", "post_logout_redirect_uris": "also bad"}
    pages.keep("settings apps, register with errors", admin.post("/settings/apps/new/", bad))
    good = {"name": "Grafana", "redirect_uris": callback, "public": "", "trusted": ""}
    pages.keep(
        "settings apps, registered with its secret",
        admin.post("/settings/apps/new/", good, follow=True),
    )
    pages.keep("settings apps, edit", admin.get(f"/settings/apps/{app.pk}/"))
    pages.keep("settings apps, new secret?", admin.get(f"/settings/apps/{app.pk}/secret/"))
    pages.keep("settings apps, remove?", admin.get(f"/settings/apps/{app.pk}/delete/"))


def error_pages(pages: Pages) -> None:
    member = Client()
    member.force_login(UserFactory())
    pages.keep("403", member.get("/settings/email/"), status=(403,))
    pages.keep("404", member.get("/orgs/no-such-organisation/"), status=(404,))
    pages.keep("404 signed out", Client().get("/no-such-page/"), status=(404,))
    pages.keep("403 CSRF", Client(enforce_csrf_checks=True).post("/accounts/login/"), status=(403,))
    attacker = Client()
    wrong = {"email": "target@example.com", "password": "wrong"}
    for _ in range(10):
        answer = attacker.post("/accounts/login/", wrong)
    pages.keep("429", answer, status=(429,))
    pages.keep("413", Client().post("/accounts/login/", {"x": "a" * 3_000_000}), status=(413,))
    request = RequestFactory().get("/")
    pages.keep("400", defaults.bad_request(request, BadRequest()), status=(400,))
    pages.keep("500", defaults.server_error(request), status=(500,))


def main_pages(smtp_server: SMTPServer) -> Pages:
    """Render every main page, in the states worth checking."""
    pages = Pages()
    for build in (signing_up_and_in, second_step, password_reset, own_account, organisations):
        build(pages)
    site_settings(pages, smtp_server)
    apps_signing_in_with_hygate(pages)
    error_pages(pages)
    return pages
