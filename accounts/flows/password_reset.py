"""Resetting a forgotten password with a signed, single-use link (Django's tokens)."""

from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import sessions
from accounts.models import User
from audit.events import Action, record
from core.after_response import after_response
from emailing.messages import send_message


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


def send_reset_link(user: User) -> None:
    """E-mail the user a fresh reset link."""
    send_message(
        "password_reset",
        user.email,
        {
            "user": user,
            "reset_url": reset_link(user),
            "expires_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )


def request_password_reset(request: HttpRequest, email: str) -> None:
    """E-mail a reset link to the active account with this address, if there is one.

    The caller shows the same page either way. The mail leaves after the response, so the
    page takes as long for an unknown address as for a known one, and a failed send is
    only logged: telling the visitor would reveal that the address has an account.
    """
    found = False
    for user in User.objects.filter(email=email, is_active=True):
        if user.has_usable_password():
            found = True
            record(request, Action.PASSWORD_RESET_REQUESTED, target=user)
            after_response(request, partial(send_reset_link, user))
    if not found:  # the address typed is not kept: it may be a stranger's
        record(request, Action.PASSWORD_RESET_REQUESTED, known_account=False)


def finish_password_reset(request: HttpRequest, user: User) -> None:
    """Record what a completed reset proves (the person reads this address's mail); sign out.

    The new password already changes the session hash, which invalidates every session;
    ending them also empties the user's list of sessions and the session store. Whoever
    signed up with the address may not have been its owner, so the name typed then goes
    with the old password, as when the owner signs up again (accounts.flows.verification).
    """
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.name = ""
        user.save(update_fields=["email_verified_at", "name"])
    record(request, Action.PASSWORD_RESET_COMPLETED, actor=user, target=user)
    sessions.end_all_sessions(request, user, reason="password_reset")
