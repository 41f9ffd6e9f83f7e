"""Every form of the portal, for the tests that post bad input to all of them.

A new form joins here. `url` may name the fixtures of tests/site/test_bad_input.py in
braces: {slug}, {token} (an invitation link), {reset} (a password-reset page), {session}
(a session row), {suppression} (a suppressed address), {app} (an app that signs in
with Hygate). MID_SIGN_IN_FORMS are posted by a
visitor between the password and the second step.
"""

from typing import NamedTuple


class PortalForm(NamedTuple):
    url: str
    fields: tuple[str, ...]


FORMS = [
    PortalForm("/accounts/signup/", ("email", "password", "name", "next")),
    PortalForm("/accounts/login/", ("email", "password", "remember", "next")),
    PortalForm("/accounts/login/2fa/", ("action", "code", "recovery_code", "method")),
    PortalForm("/accounts/login/2fa/enrol/", ("code",)),
    PortalForm("/accounts/verify/", ("code",)),
    PortalForm("/accounts/verify/resend/", ()),
    PortalForm("/accounts/logout/", ()),
    PortalForm("/accounts/password/reset/", ("email",)),
    PortalForm("{reset}", ("new_password1", "new_password2")),
    PortalForm("/accounts/security/password/", ("password", "code", "recovery_code", "next")),
    PortalForm("/accounts/security/authenticator/confirm-email/", ("action", "code")),
    PortalForm(
        "/accounts/password/change/",
        ("current_password", "code", "recovery_code", "new_password1", "new_password2"),
    ),
    PortalForm("/accounts/email/change/", ("email",)),
    PortalForm("/accounts/email/change/confirm/", ("code",)),
    PortalForm("/accounts/email/change/resend/", ()),
    PortalForm("/accounts/email/change/undo/forged-token/", ()),
    PortalForm("/accounts/profile/", ("name",)),
    PortalForm("/accounts/security/authenticator/", ("action", "code")),
    PortalForm("/accounts/security/authenticator/remove/", ()),
    PortalForm("/accounts/security/recovery-codes/", ()),
    PortalForm("/accounts/security/sessions/{session}/end/", ()),
    PortalForm("/accounts/security/sessions/end-others/", ()),
    PortalForm(
        "/settings/email/",
        (
            "provider",
            "resend_api_key",
            "from_email",
            "smtp_host",
            "smtp_port",
            "smtp_username",
            "smtp_password",
            "smtp_security",
            "webhook_secret",
            "test_recipient",
            "action",
        ),
    ),
    PortalForm("/settings/email/suppressions/{suppression}/lift/", ()),
    PortalForm("/settings/security/", ("two_factor_policy",)),
    PortalForm("/orgs/", ("action", "name", "invitation")),
    PortalForm("/orgs/{slug}/", ("action", "email", "emails", "role", "member", "invitation")),
    PortalForm("/invitations/{token}/", ("action",)),
    PortalForm("/webhooks/resend/", ("type", "data", "created_at")),
    PortalForm(
        "/settings/apps/new/",
        ("name", "redirect_uris", "post_logout_redirect_uris", "public", "trusted"),
    ),
    PortalForm("/settings/apps/{app}/", ("name", "redirect_uris", "post_logout_redirect_uris")),
    PortalForm("/settings/apps/{app}/secret/", ()),
    PortalForm("/settings/apps/{app}/delete/", ()),
    PortalForm("/accounts/apps/{app}/revoke/", ()),
    PortalForm(
        "/o/authorize/",
        (
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "nonce",
            "response_type",
            "code_challenge",
            "code_challenge_method",
            "allow",
            "claims",
        ),
    ),
    PortalForm(
        "/o/token/",
        (
            "grant_type",
            "code",
            "redirect_uri",
            "client_id",
            "client_secret",
            "code_verifier",
            "refresh_token",
            "scope",
        ),
    ),
    PortalForm("/o/revoke/", ("token", "token_type_hint", "client_id", "client_secret")),
    PortalForm(
        "/o/logout/", ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "allow")
    ),
]

MID_SIGN_IN_FORMS = [
    PortalForm("/accounts/login/2fa/", ("action", "code", "recovery_code", "method")),
    PortalForm("/accounts/login/2fa/enrol/", ("code",)),
]
