"""Account notices: one e-mail kind (`account_notice`) for changes to an account itself.

A change to the password or the e-mail address, made by the owner or by staff, is told
to the owner with what changed, when, and what to do if it was not them.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from emailing.messages import Delivery, send_message


def reset_advice() -> str:
    """What to do when a change was not the owner's: reset the password at once."""
    url = settings.HYGATE_SITE_URL + reverse("accounts:password_reset")
    return (
        f"If this was not you, reset your password at once ({url}): that signs out every "
        "session. Then tell your administrator."
    )


def send_account_notice(
    user: User,
    headline: str,
    detail: str,
    *,
    to: str = "",
    action_url: str = "",
    action_label: str = "",
    action_expires: str = "",
    if_not_you: str = "",
) -> Delivery:
    """E-mail the owner (or `to`, e.g. a former address) that their account changed."""
    return send_message(
        "account_notice",
        to or user.email,
        {
            "user": user,
            "account": user.email,
            "headline": headline,
            "detail": detail,
            "when": timezone.now(),
            "action_url": action_url,
            "action_label": action_label,
            "action_expires": action_expires,
            "if_not_you": if_not_you or reset_advice(),
        },
    )
