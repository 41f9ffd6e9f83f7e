"""Changes staff make to someone else's account in the admin: recorded and announced.

A staff member who changes a user's address or password acts on that user's sign-in, so
the user hears of it by e-mail (the old address too, for a new address) and the audit log
names the staff member (ASVS 7.5.1's step-up covers the owner; this covers staff).
"""

from django.contrib.auth.base_user import AbstractBaseUser

from accounts import sessions
from accounts.models import User
from accounts.notices import send_account_notice
from audit.events import Action, record


def email_changed_by_staff(user: User, old_email: str, staff_user: AbstractBaseUser) -> None:
    """Record that staff changed the user's address, and tell both addresses."""
    record(None, Action.EMAIL_CHANGED, actor=staff_user, target=user, by_staff=True)
    detail = (
        f"An administrator changed the e-mail address of your Hygate account from {old_email} "
        f"to {user.email}. Sign in with {user.email} from now on."
    )
    advice = "If you did not ask for this, contact your administrator at once."
    send_account_notice(user, "your e-mail address was changed", detail, if_not_you=advice)
    if old_email:
        send_account_notice(
            user, "your e-mail address was changed", detail, to=old_email, if_not_you=advice
        )


def password_changed_by_staff(user: User, staff_user: AbstractBaseUser) -> None:
    """Record that staff set the user's password; end their sessions and tell them."""
    # The new hash signs out every session already; ending them empties the list too. A
    # staff member setting their own password keeps the session Django carried over.
    ended = (
        sessions.end_all_sessions(None, user, reason="password_set_by_staff")
        if user.pk != staff_user.pk
        else 0
    )
    record(
        None,
        Action.PASSWORD_CHANGED,
        actor=staff_user,
        target=user,
        by_staff=True,
        other_sessions_ended=ended,
    )
    send_account_notice(
        user,
        "your password was changed",
        "An administrator set a new password for your Hygate account (or turned password "
        "sign-in off). Every browser signed in to it was signed out.",
        if_not_you="If you did not ask for this, contact your administrator at once.",
    )
