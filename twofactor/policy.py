"""The site's two-factor policy, and what the second step asks of a user under it."""

from enum import StrEnum

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.events import Action, record
from twofactor import recovery_codes
from twofactor.models import Authenticator, Passkey, SecurityPolicy

Policy = SecurityPolicy.TwoFactor


class Method(StrEnum):
    """A way to pass the second step."""

    EMAIL = "email"
    TOTP = "totp"
    RECOVERY = "recovery"
    PASSKEY = "passkey"  # a passkey (twofactor.passkeys): satisfies every policy


class Requirement(StrEnum):
    """What the second step of a user's sign-in asks for."""

    EMAIL = "email"  # a code e-mailed for this sign-in
    TOTP = "totp"  # a code from the enrolled authenticator app
    EITHER = "either"  # an e-mailed code or the authenticator's, the user picks
    ENROL = "enrol"  # no authenticator yet, but one is required: enrol it first


def current_policy() -> str:
    """Return the site's two-factor policy: off, email, totp or either."""
    return SecurityPolicy.load().two_factor_policy


def active_authenticator(user: User) -> Authenticator | None:
    """Return the user's confirmed authenticator, if any."""
    return Authenticator.objects.filter(user=user, confirmed_at__isnull=False).first()


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
    if recovery_codes.remaining(user):
        accepted = accepted | {Method.RECOVERY.value}
    if Passkey.objects.filter(user=user).exists():  # accepted under every policy
        accepted = accepted | {Method.PASSKEY.value}
    return accepted


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
