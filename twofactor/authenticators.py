"""A user's authenticator app and recovery codes: enrol, confirm, remove, use, staff reset.

The second step checks what was typed with `verify_totp()` or `use_recovery_code()`
(through twofactor.verify); the security page and the admin change a user's methods
through the rest. Everything takes a user object, not `request.user`: under the
`totp` policy a user enrols during sign-in, before any session exists. Every change to a
user's methods e-mails them a notice.
"""

import secrets
from datetime import datetime
from typing import NamedTuple

import segno
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from audit.events import Action, record
from twofactor import notices, passkeys, recovery_codes, totp, trust
from twofactor.models import Authenticator, RecoveryCode
from twofactor.notices import send_notice
from twofactor.policy import active_authenticator


class AlreadyEnrolled(Exception):
    """The user already has an active authenticator; remove it before enrolling another."""


class NotEnrolled(Exception):
    """The user has no active authenticator."""


class Enrolment(NamedTuple):
    """What a user needs to add Hygate to an authenticator app."""

    secret: str
    uri: str
    qr_svg: SafeString

    @property
    def secret_groups(self) -> str:
        return totp.secret_groups(self.secret)


# --- enrolling and removing an authenticator app ---


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = totp.provisioning_uri(secret, user.email)
    qr = segno.make(uri, error="m")
    # segno draws the URI as path data only: nothing in the markup comes from user input.
    svg = qr.svg_inline(scale=5, border=4, light="#fff", title="QR code for your authenticator app")
    return Enrolment(secret=secret, uri=uri, qr_svg=mark_safe(svg))  # noqa: S308


@transaction.atomic
def begin_enrolment(user: User) -> Enrolment:
    """Store a new, unconfirmed authenticator for the user (replacing an unconfirmed one)."""
    existing = Authenticator.objects.select_for_update().filter(user=user).first()
    if existing is not None and existing.is_confirmed:
        raise AlreadyEnrolled
    secret = totp.new_secret()
    authenticator = existing or Authenticator(user=user)
    authenticator.set_secret(secret)
    authenticator.created_at = timezone.now()
    authenticator.last_used_step = 0
    authenticator.save()
    return _enrolment(user, secret)


def pending_enrolment(user: User) -> Enrolment | None:
    """Return the enrolment the user started and has not confirmed yet, if any."""
    pending = Authenticator.objects.filter(user=user, confirmed_at=None).first()
    return None if pending is None else _enrolment(user, pending.get_secret())


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Activate the pending authenticator with one of its codes; return 10 recovery codes.

    Returns None when there is no pending enrolment or the code is wrong. The confirming
    code's time step is spent, so it cannot also pass a sign-in. The notice to the owner
    carries a "this was not me" link that removes the app again (accounts.flows.disown).
    """
    disown_token = secrets.token_urlsafe(32)
    pending = Authenticator.objects.filter(user=user, confirmed_at=None).first()
    if pending is None or not totp.verify(pending, code):
        return None
    with transaction.atomic():
        if not Authenticator.objects.filter(pk=pending.pk, confirmed_at=None).update(
            confirmed_at=timezone.now(), disown_token_hash=notices.token_hash(disown_token)
        ):
            return None
        codes = recovery_codes.generate(user)
        User.objects.filter(pk=user.pk).update(two_factor_reset_at=None)
    record(None, Action.AUTHENTICATOR_ADDED, actor=user, target=user)
    send_notice(
        user,
        "authenticator_added",
        disown_url=settings.HYGATE_SITE_URL
        + reverse("accounts:security_authenticator_undo", args=[disown_token]),
    )
    return codes


@transaction.atomic
def _remove_all(user: User) -> tuple[bool, int]:
    removed, _ = Authenticator.objects.filter(user=user).delete()
    codes, _ = RecoveryCode.objects.filter(user=user).delete()
    return bool(removed), codes


def remove_authenticator(user: User) -> bool:
    """Remove the user's authenticator and its recovery codes; say whether one was active."""
    was_active = active_authenticator(user) is not None
    _remove_all(user)
    if was_active:
        record(None, Action.AUTHENTICATOR_REMOVED, actor=user, target=user)
        send_notice(user, "authenticator_removed")
        # A browser trusted with it (a phished code, say) must not skip the next app's step.
        trust.stop_trusting_all(None, user, reason="authenticator_removed")
    return was_active


def remove_factors_added_since(user: User, since: datetime) -> None:
    """Remove an authenticator confirmed since `since`, and recovery codes made since then.

    Recovery codes of an app that stays but were made since then go too: they would pass
    the second step as well as the app does.
    """
    passkeys.remove_added_since(user, since)  # those added since go too
    authenticator = active_authenticator(user)
    if authenticator is not None and authenticator.confirmed_at >= since:
        remove_authenticator(user)
        return
    Authenticator.objects.filter(user=user, confirmed_at=None).delete()
    newer, _ = RecoveryCode.objects.filter(user=user, created_at__gte=since).delete()
    if newer:
        record(None, Action.RECOVERY_CODES_REMOVED, actor=user, target=user, count=newer)


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with 10 new ones and return them, once."""
    if active_authenticator(user) is None:
        raise NotEnrolled
    codes = recovery_codes.generate(user)
    record(None, Action.RECOVERY_CODES_REGENERATED, actor=user, target=user)
    send_notice(user, "recovery_codes_regenerated")
    return codes


# --- operators ---


def _listed(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 2 else items)


def staff_reset(user: User, staff_user: AbstractBaseUser) -> None:
    """Remove a user's authenticator, recovery codes and passkeys, recorded and announced.

    The account is marked, so that setting up an app again needs an e-mailed code too.
    """
    had_authenticator, codes = _remove_all(user)
    removed_passkeys = passkeys.remove_all(user)
    user.two_factor_reset_at = timezone.now()
    user.save(update_fields=["two_factor_reset_at"])
    removed = []
    if had_authenticator:
        removed.append("the authenticator app")
    if codes:
        removed.append(f"{codes} recovery code{'s' if codes != 1 else ''}")
    if removed_passkeys:
        removed.append(f"{removed_passkeys} passkey{'s' if removed_passkeys != 1 else ''}")
    LogEntry.objects.log_actions(
        user_id=staff_user.pk,
        queryset=[user],
        action_flag=CHANGE,
        change_message=(
            f"Reset two-factor: removed {_listed(removed)}."
            if removed
            else "Reset two-factor: nothing was set up."
        ),
        single_object=True,
    )
    record(
        None,
        Action.TWO_FACTOR_RESET_BY_STAFF,
        actor=staff_user,
        target=user,
        removed_authenticator=had_authenticator,
        removed_recovery_codes=codes,
        removed_passkeys=removed_passkeys,
    )
    send_notice(user, "staff_reset", removed=_listed(removed) or "nothing: none was set up")
    trust.stop_trusting_all(None, user, reason="two_factor_reset_by_staff")
