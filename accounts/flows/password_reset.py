"""Resetting a forgotten password with a signed, single-use link (Django's tokens)."""

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from emailing.messages import send_message

logger = logging.getLogger("hygate.accounts")


def reset_link(user: User) -> str:
    """Return the absolute, signed reset link for the user (valid PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.HYGATE_SITE_URL}{path}"


def request_password_reset(email: str) -> None:
    """E-mail a reset link to the active account with this address, if there is one.

    The caller shows the same page either way, and a failed send is only logged: telling
    the visitor would reveal that the address has an account.
    """
    users = User.objects.filter(email__iexact=email, is_active=True)
    for user in users:
        if not user.has_usable_password():
            continue
        send_message(
            "password_reset",
            user.email,
            {
                "user": user,
                "reset_url": reset_link(user),
                "expires_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            },
        )


def finish_password_reset(user: User) -> None:
    """Record what a completed reset proves: the person reads this address's mail.

    The new password itself changes the session hash, which signs out every other session.
    """
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
