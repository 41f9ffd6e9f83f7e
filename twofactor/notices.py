"""The e-mails that tell a user their two-factor sign-in changed."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from emailing.messages import Delivery, send_message

# How long the "this was not me" link in the notice of a new authenticator works.
DISOWN_LIFETIME = timedelta(days=7)


def token_hash(token: str) -> str:
    """Return how a link's random token is stored: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


NOTICES = {
    "authenticator_added": (
        "an authenticator app was added",
        "An authenticator app was set up for two-factor sign-in on your account, and new "
        "recovery codes were made.",
    ),
    "authenticator_removed": (
        "your authenticator app was removed",
        "The authenticator app was removed from your account, with its recovery codes.",
    ),
    "recovery_codes_regenerated": (
        "new recovery codes",
        "New recovery codes were made for your account. The old ones no longer work.",
    ),
    "recovery_code_used": (
        "a recovery code was used",
        "A recovery code was used to sign in to your account. You have {remaining} left.",
    ),
    "staff_reset": (
        "two-factor sign-in was reset",
        "An administrator reset two-factor sign-in on your account and removed {removed}.",
    ),
    "passkey_added": (
        "a passkey was added",
        "A passkey named “{name}” was added to your account. It signs in to your account "
        "on its own, without your password.",
    ),
    "passkey_removed": (
        "a passkey was removed",
        "The passkey named “{name}” was removed from your account. It no longer signs in.",
    ),
    "passkey_cloned": (
        "a copied passkey was refused",
        "Someone tried to sign in with the passkey named “{name}”, but its counter went "
        "backwards: a copy of that key may exist. The sign-in was refused. If you did not "
        "copy the passkey, remove it from your account.",
    ),
}


def send_notice(user: User, event: str, disown_url: str = "", **details: object) -> Delivery:
    """E-mail the user that their two-factor sign-in changed (`event` is a key of NOTICES).

    `disown_url` adds a "this was not me" link that removes what was added.
    """
    headline, detail = NOTICES[event]
    return send_message(
        "security_notice",
        user.email,
        {
            "user": user,
            "headline": headline,
            "detail": detail.format(**details),
            "when": timezone.now(),
            "security_url": f"{settings.HYGATE_SITE_URL}{reverse('accounts:security')}",
            "password_reset_url": (
                f"{settings.HYGATE_SITE_URL}{reverse('accounts:password_reset')}"
            ),
            "disown_url": disown_url,
            "disown_days": DISOWN_LIFETIME.days,
        },
    )
