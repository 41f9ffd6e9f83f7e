"""Two-factor sign-in: which second step a user needs, and their authenticator and codes.

The sign-in's second stage asks `required_for(user)` and checks what was typed with
`verify_totp()` or `use_recovery_code()`; the security page and the admin change a user's
methods through the rest. Everything takes a user object, not `request.user`: under the
`totp` policy a user enrols during sign-in, before any session exists. Every change to a
user's methods e-mails them a notice.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

import segno
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts import recovery, totp
from accounts.models import User
from audit.events import Action, record
from emailing.messages import Delivery, send_message
from twofactor.models import Authenticator, RecoveryCode, SecurityPolicy

Policy = SecurityPolicy.TwoFactor
# How long the "this was not me" link in the notice of a new authenticator works.
DISOWN_LIFETIME = timedelta(days=7)


class Method(StrEnum):
    """A way to pass the second step."""

    EMAIL = "email"
    TOTP = "totp"
    RECOVERY = "recovery"


class Requirement(StrEnum):
    """What the second step of a user's sign-in asks for."""

    EMAIL = "email"  # a code e-mailed for this sign-in
    TOTP = "totp"  # a code from the enrolled authenticator app
    EITHER = "either"  # an e-mailed code or the authenticator's, the user picks
    ENROL = "enrol"  # no authenticator yet, but one is required: enrol it first


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


def current_policy() -> str:
    """Return the site's two-factor policy: off, email, totp or either."""
    return SecurityPolicy.load().two_factor_policy


def active_authenticator(user: User) -> Authenticator | None:
    """Return the user's confirmed authenticator, if any."""
    return Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()


def methods_for(user: User) -> set[str]:
    """Return the methods the user has set up: "totp" and/or "recovery"."""
    methods = set()
    if active_authenticator(user) is not None:
        methods.add(Method.TOTP.value)
    if recovery.remaining(user):
        methods.add(Method.RECOVERY.value)
    return methods


def required_for(user: User) -> str | None:
    """Return what the user's second step asks for (a Requirement), or None for no step.

    | policy | with an authenticator | without |
    |--------|-----------------------|---------|
    | off    | totp                  | None    |
    | email  | email                 | email   |
    | totp   | totp                  | enrol   |
    | either | either                | email   |

    With HYGATE_STAFF_REQUIRE_TOTP, staff are treated as under `totp` whatever the policy.
    """
    enrolled = active_authenticator(user) is not None
    policy = current_policy()
    if policy == Policy.TOTP or (user.is_staff and settings.HYGATE_STAFF_REQUIRE_TOTP):
        return Requirement.TOTP.value if enrolled else Requirement.ENROL.value
    if policy == Policy.EMAIL:
        return Requirement.EMAIL.value
    if policy == Policy.EITHER:
        return Requirement.EITHER.value if enrolled else Requirement.EMAIL.value
    return Requirement.TOTP.value if enrolled else None


def accepted_methods(user: User, requirement: str | None = None) -> set[str]:
    """Return the methods the second step accepts from the user; recovery codes always count.

    Pass the `requirement` already worked out by `required_for(user)` to save its queries.
    """
    requirement = requirement if requirement is not None else required_for(user)
    accepted = {
        Requirement.EMAIL: {Method.EMAIL.value},
        Requirement.TOTP: {Method.TOTP.value},
        Requirement.EITHER: {Method.EMAIL.value, Method.TOTP.value},
    }.get(requirement, set())
    if recovery.remaining(user):
        accepted = accepted | {Method.RECOVERY.value}
    return accepted


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
            confirmed_at=timezone.now(), disown_token_hash=token_hash(disown_token)
        ):
            return None
        codes = recovery.generate(user)
        User.objects.filter(pk=user.pk).update(two_factor_reset_at=None)
    record(None, Action.AUTHENTICATOR_ADDED, actor=user, target=user)
    send_notice(
        user,
        "authenticator_added",
        disown_url=settings.HYGATE_SITE_URL
        + reverse("accounts:security_authenticator_undo", args=[disown_token]),
    )
    return codes


def token_hash(token: str) -> str:
    """Return how a link's random token is stored: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


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
    return was_active


def remove_factors_added_since(user: User, since: datetime) -> None:
    """Remove an authenticator confirmed since `since`, and recovery codes made since then.

    Recovery codes of an app that stays but were made since then go too: they would pass
    the second step as well as the app does.
    """
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
    codes = recovery.generate(user)
    record(None, Action.RECOVERY_CODES_REGENERATED, actor=user, target=user)
    send_notice(user, "recovery_codes_regenerated")
    return codes


# --- the second step ---


def verify_totp(user: User, code: str) -> bool:
    """Accept a code from the user's active authenticator, each time step only once."""
    authenticator = active_authenticator(user)
    return authenticator is not None and totp.verify(authenticator, code)


def use_recovery_code(user: User, code: str) -> int | None:
    """Spend one of the user's recovery codes; return how many remain, or None if refused."""
    left = recovery.use(user, code)
    if left is not None:
        codes = f"{left} recovery code{'s' if left != 1 else ''}" if left else "no recovery codes"
        send_notice(user, "recovery_code_used", remaining=codes)
    return left


# --- operators ---


def staff_reset(user: User, staff_user: AbstractBaseUser) -> None:
    """Remove a user's authenticator and recovery codes for them, recorded and announced.

    The account is marked, so that setting up an app again needs an e-mailed code too.
    """
    had_authenticator, codes = _remove_all(user)
    user.two_factor_reset_at = timezone.now()
    user.save(update_fields=["two_factor_reset_at"])
    removed = []
    if had_authenticator:
        removed.append("the authenticator app")
    if codes:
        removed.append(f"{codes} recovery code{'s' if codes != 1 else ''}")
    LogEntry.objects.log_actions(
        user_id=staff_user.pk,
        queryset=[user],
        action_flag=CHANGE,
        change_message=(
            f"Reset two-factor: removed {' and '.join(removed)}."
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
    )
    send_notice(user, "staff_reset")
    from twofactor import trust  # trust: lazy while this module is in accounts (a cycle)

    trust.stop_trusting_all(None, user, reason="two_factor_reset_by_staff")


@transaction.atomic
def set_policy(policy: str, admin: AbstractBaseUser) -> str:
    """Save the site's two-factor policy, record who changed it from what; return the old one."""
    saved, _ = SecurityPolicy.objects.select_for_update().get_or_create(pk=1)
    before = saved.two_factor_policy
    saved.two_factor_policy = policy
    saved.updated_at = timezone.now()
    saved.updated_by = admin
    saved.save()
    labels = dict(Policy.choices)
    LogEntry.objects.log_actions(
        user_id=admin.pk,
        queryset=[saved],
        action_flag=CHANGE,
        change_message=(
            f"Changed two-factor policy from {before} ({labels[before]}) "
            f"to {policy} ({labels[policy]})."
            if before != policy
            else f"Saved two-factor policy {policy} without changes."
        ),
        single_object=True,
    )
    fields = ["two_factor_policy"] if before != policy else []
    record(None, Action.SETTINGS_CHANGED, actor=admin, target="security", fields=fields)
    return before


# --- notices ---

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
        "An administrator reset two-factor sign-in on your account: your authenticator app "
        "and recovery codes were removed.",
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
