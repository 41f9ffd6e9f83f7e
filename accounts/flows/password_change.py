"""Changing the password while signed in (ASVS 6.2.2, 6.2.3).

The current password is asked for (and the second factor, for a user with an
authenticator app: the step-up of accounts.flows.reauthentication), the new one goes
through Django's validators, and then this session stays signed in while every other one
ends. The owner is told by e-mail, and the change is recorded.
"""

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest

from accounts import sessions
from accounts.models import User
from accounts.notices import send_account_notice
from audit.events import Action, record


def change_password(request: HttpRequest, new_password: str) -> int:
    """Set the signed-in user's new password, keep this session, end the others.

    Returns how many other sessions ended. The caller has confirmed the user's identity.
    """
    user: User = request.user
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # The new hash already signs out every session; ending the others also empties the
    # store and the list. Then this one follows the new hash under a new key (the session
    # middleware moves its row along).
    ended = sessions.end_other_sessions(request, reason="password_changed")
    update_session_auth_hash(request, user)
    record(request, Action.PASSWORD_CHANGED, actor=user, target=user, other_sessions_ended=ended)
    send_account_notice(
        user,
        "your password was changed",
        "The password of your Hygate account was changed. Every other browser signed in to "
        "it was signed out.",
    )
    return ended
