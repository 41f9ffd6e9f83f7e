"""E-mail previews for staff: every kind of mail, with sample data, built by render_message().

A preview is only sample context: the subject, text and HTML come from the same templates
and the same function as real mail, so what staff see is what people get.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from emailing.messages import KINDS, render_message

SAMPLE_TO = "ada@example.com"


@dataclass(frozen=True)
class Preview:
    """One previewable mail: a template (a key of KINDS) and the sample data it is shown with."""

    slug: str
    title: str
    template: str
    context: Callable[[], dict[str, Any]]

    def render(self) -> EmailMultiAlternatives:
        """Build the mail exactly as send_message() would, to a sample address."""
        return render_message(self.template, SAMPLE_TO, self.context())

    @staticmethod
    def html_of(message: EmailMultiAlternatives) -> str:
        return next(body for body, mime in message.alternatives if mime == "text/html")


def _user() -> SimpleNamespace:
    return SimpleNamespace(email=SAMPLE_TO, greeting_name="Ada", name="Ada Lovelace")


def _url(path: str) -> str:
    return f"{settings.HYGATE_SITE_URL}{path}"


def _now() -> datetime:
    return timezone.now()


PREVIEWS: dict[str, Preview] = {}


def register(preview: Preview) -> None:
    """Add a preview (a higher app may register the variants of its notices)."""
    if preview.template not in KINDS:
        raise ValueError(f"{preview.template} is not a kind of e-mail")
    PREVIEWS[preview.slug] = preview


for _preview in [
    Preview(
        "verification",
        "Sign-up: confirm the address (code)",
        "verification_code",
        lambda: {"code": "402193", "expires_minutes": 15},
    ),
    Preview(
        "account-exists",
        "Sign-up with an address that has an account",
        "account_exists",
        lambda: {
            "user": _user(),
            "login_url": _url("/accounts/login/"),
            "reset_url": _url("/accounts/password/reset/"),
        },
    ),
    Preview(
        "two-factor-code",
        "Sign-in: second-step code",
        "two_factor_code",
        lambda: {"user": _user(), "code": "718264", "expires_minutes": 10},
    ),
    Preview(
        "password-reset",
        "Password reset",
        "password_reset",
        lambda: {
            "user": _user(),
            "reset_url": _url("/accounts/password/reset/sample-token/"),
            "expires_minutes": 60,
        },
    ),
    Preview(
        "email-change-code",
        "E-mail change: confirm the new address (code)",
        "email_change_code",
        lambda: {"code": "550912", "expires_minutes": 15},
    ),
    Preview(
        "code-lock",
        "Too many wrong codes",
        "code_lock",
        lambda: {"what": "changing your e-mail address", "hours": 1},
    ),
    Preview(
        "invitation",
        "Invitation to an organisation",
        "invitation",
        lambda: {
            "organisation": SimpleNamespace(name="Analytical Engines"),
            "inviter": SimpleNamespace(email="charles@example.com"),
            "inviter_name": "Charles Babbage",
            "role": "member",
            "invitation_url": _url("/invitations/sample-token/"),
            "expires_days": 7,
            "expires_at": _now() + timedelta(days=7),
        },
    ),
    Preview(
        "security-notice",
        "Security notice: an authenticator app was added",
        "security_notice",
        lambda: {
            "user": _user(),
            "headline": "an authenticator app was added",
            "detail": "An authenticator app was set up for two-factor sign-in on your account.",
            "when": _now(),
            "security_url": _url("/accounts/security/"),
            "password_reset_url": _url("/accounts/password/reset/"),
            "disown_url": _url("/accounts/security/disown/sample-token/"),
            "disown_days": 7,
        },
    ),
    Preview(
        "security-notice-recovery",
        "Security notice: a recovery code was used",
        "security_notice",
        lambda: {
            "user": _user(),
            "headline": "a recovery code was used",
            "detail": "A recovery code was used to sign in to your account. You have 9 left.",
            "when": _now(),
            "security_url": _url("/accounts/security/"),
            "password_reset_url": _url("/accounts/password/reset/"),
            "disown_url": "",
            "disown_days": 7,
        },
    ),
    Preview(
        "account-notice",
        "Account notice: the password was changed",
        "account_notice",
        lambda: {
            "user": _user(),
            "account": SAMPLE_TO,
            "headline": "your password was changed",
            "detail": "The password of your Hygate account was changed.",
            "when": _now(),
            "if_not_you": (
                "If this was not you, reset your password at once "
                f"({_url('/accounts/password/reset/')}): that signs out every session. "
                "Then tell your administrator."
            ),
        },
    ),
    Preview(
        "account-notice-email",
        "Account notice: the e-mail address was changed (to the old address)",
        "account_notice",
        lambda: {
            "user": _user(),
            "account": "ada.new@example.com",
            "headline": "your e-mail address was changed",
            "detail": (
                "The e-mail address of your Hygate account was changed from "
                f"{SAMPLE_TO} to ada.new@example.com."
            ),
            "when": _now(),
            "action_url": _url("/accounts/email/undo/sample-token/"),
            "action_label": "Undo this change",
            "action_expires": "7 days",
            "if_not_you": "If this was not you, undo the change with the button above.",
        },
    ),
    Preview(  # new-device notice
        "new-device",
        "Security notice: a sign-in from a new browser",
        "new_device",
        lambda: {
            "user": _user(),
            "browser": "Firefox on Windows",
            "ip_address": "203.0.113.7",
            "when": _now(),
            "security_url": _url("/accounts/security/"),
            "password_reset_url": _url("/accounts/password/reset/"),
        },
    ),
    Preview(
        "test-message",
        "Test Connection's message",
        "test_message",
        lambda: {"admin": _user(), "provider": "resend"},
    ),
]:
    register(_preview)
