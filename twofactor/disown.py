"""The "this was not me" link in the notice of a new authenticator app or passkey.

Someone who knows the password could otherwise set up an app of their own and keep its
recovery codes, and the owner's password reset would not remove it. The notice of every
new app carries a link (a random token, kept only as its SHA-256 on the authenticator,
7 days): a GET shows what it will do, a POST removes that app and its recovery codes and
ends every session of the account. It works once (the app it names is gone), and never
for a later app. It cannot tell who typed the password, so it does not change it: the
page tells the owner to reset the password, since whoever set up the app has it too.
"""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import sessions
from audit.events import Action, record
from twofactor import notices
from twofactor.models import Authenticator, Passkey, RecoveryCode


def pending(token: str) -> Authenticator | None:
    """Return the active app a link may still remove, or None (used, expired or forged)."""
    if not token:
        return None
    return (
        Authenticator.objects.select_related("user")
        .filter(
            disown_token_hash=notices.token_hash(token),
            confirmed_at__gt=timezone.now() - notices.DISOWN_LIFETIME,
            user__is_active=True,
        )
        .first()
    )


def disown(request: HttpRequest, token: str) -> bool:
    """Remove the app the link names with its recovery codes, end every session; say if done."""
    authenticator = pending(token)
    if authenticator is None:
        return False
    user = authenticator.user
    # Only this app: one deleted meanwhile (by the owner, or by this link at once from two
    # tabs) leaves nothing to do, and a newer app is not this link's to remove.
    with transaction.atomic():
        deleted, _ = Authenticator.objects.filter(pk=authenticator.pk).delete()
        if not deleted:
            return False
        RecoveryCode.objects.filter(user=user).delete()
    record(request, Action.AUTHENTICATOR_DISOWNED, actor=None, target=user)
    sessions.end_all_sessions(request, user, reason="authenticator_disowned")
    notices.send_notice(user, "authenticator_removed")
    return True


# --- the same link in the notice of a new passkey ---


def pending_passkey(token: str) -> Passkey | None:
    """Return the passkey a link may still remove, or None (used, expired or forged)."""
    if not token:
        return None
    return (
        Passkey.objects.select_related("user")
        .filter(
            disown_token_hash=notices.token_hash(token),
            created_at__gt=timezone.now() - notices.DISOWN_LIFETIME,
            user__is_active=True,
        )
        .first()
    )


def disown_passkey(request: HttpRequest, token: str) -> bool:
    """Remove the passkey the link names and end every session of its account; say if done."""
    passkey = pending_passkey(token)
    if passkey is None:
        return False
    deleted, _ = Passkey.objects.filter(pk=passkey.pk).delete()
    if not deleted:
        return False
    user = passkey.user
    record(request, Action.PASSKEY_DISOWNED, actor=None, target=user, passkey=passkey.name)
    sessions.end_all_sessions(request, user, reason="passkey_disowned")
    notices.send_notice(user, "passkey_removed", name=passkey.name)
    return True
