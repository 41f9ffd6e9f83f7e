"""Creating an organisation and changing who is in it, never leaving it without an owner.

Every change that could remove an owner runs in a transaction that first locks the
organisation's row, then re-reads the memberships involved. Two owners demoting each
other (or leaving) at the same moment are thereby serialised: the second one sees the
first one's change and is refused.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from accounts.models import User
from audit.events import Action, record
from organisations.flows import Refused
from organisations.models import Membership, Organisation, Role
from organisations.permissions import require_can_manage_member, require_grantable

SLUG_MAX_BASE = 50
FALLBACK_SLUG = "org"


def organisation_names(user: User) -> list[str]:
    """Return the names of the user's organisations and their words, for the password check."""
    if user is None or user.pk is None:
        return []
    names = Organisation.objects.filter(memberships__user=user).values_list("name", flat=True)
    return [word for name in names for word in (name, *name.split())]


def free_slug(name: str) -> str:
    """Return an unused slug for the name: `acme`, else `acme-2`, `acme-3`, ..."""
    base = slugify(name)[:SLUG_MAX_BASE].strip("-") or FALLBACK_SLUG
    taken = set(Organisation.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def organisations_left_without_owner(users: list[User]) -> list[Organisation]:
    """Return the organisations that deleting these users would leave without an owner."""
    ids = [user.pk for user in users]
    owned = Organisation.objects.filter(
        memberships__user_id__in=ids, memberships__role=Role.OWNER
    ).distinct()
    return [
        organisation
        for organisation in owned
        if not organisation.memberships.filter(role=Role.OWNER).exclude(user_id__in=ids).exists()
    ]


def last_owner_reasons(users: list[User]) -> list[str]:
    """Say, per organisation, why these users may not be deleted (core.deletion guard)."""
    return [
        f"Organisation “{organisation.name}” ({organisation.slug}): this user is its only "
        "owner. Make another member an owner first, or delete the organisation."
        for organisation in organisations_left_without_owner(users)
    ]


def refuse_deleting_last_owner(sender, instance: User, **kwargs) -> None:
    """Refuse, from every code path, to delete a user who is an organisation's only owner."""
    if left := organisations_left_without_owner([instance]):
        raise ProtectedError(" ".join(last_owner_reasons([instance])), set(left))


def create_organisation(user: User, name: str) -> Organisation:
    """Create an organisation with the user as its first owner."""
    for _ in range(5):
        try:
            with transaction.atomic():
                organisation = Organisation.objects.create(name=name, slug=free_slug(name))
                Membership.objects.create(user=user, organisation=organisation, role=Role.OWNER)
            record(None, Action.ORGANISATION_CREATED, actor=user, target=organisation.slug)
            return organisation
        except IntegrityError:  # another organisation took the same slug at this moment
            continue
    raise Refused("busy")


def _lock(organisation_id: int) -> None:
    Organisation.objects.select_for_update().filter(pk=organisation_id).first()


def _fresh(membership: Membership) -> Membership | None:
    """Re-read a membership inside the lock: it may have changed since the page loaded."""
    return Membership.objects.filter(
        pk=membership.pk, organisation_id=membership.organisation_id
    ).first()


def _require_another_owner(target: Membership) -> None:
    others = Membership.objects.filter(
        organisation_id=target.organisation_id, role=Role.OWNER
    ).exclude(pk=target.pk)
    if not others.exists():
        raise Refused("last_owner")


def change_role(actor: Membership, target: Membership, role: str) -> Membership:
    """Give target a new role; an owner may step down while another owner remains."""
    with transaction.atomic():
        _lock(actor.organisation_id)
        actor, target = _fresh(actor), _fresh(target)
        if actor is None:
            raise PermissionDenied("You are no longer a member.")
        if target is None:
            raise Refused("gone")
        if actor.pk != target.pk:
            require_can_manage_member(actor, target)
        require_grantable(actor, role)
        if target.is_owner and role != Role.OWNER:
            _require_another_owner(target)
        before = target.role
        target.role = role
        target.save(update_fields=["role"])
        record(
            None,
            Action.ROLE_CHANGED,
            actor=actor.user,
            target=target.user,
            organisation=target.organisation.slug,
            role=role,
            previous_role=before,
        )
        return target


def remove_member(actor: Membership, target: Membership) -> None:
    """Take target out of the organisation (an owner or admin acting on someone else)."""
    if actor.pk == target.pk:
        leave(actor)
        return
    with transaction.atomic():
        _lock(actor.organisation_id)
        actor, target = _fresh(actor), _fresh(target)
        if actor is None:
            raise PermissionDenied("You are no longer a member.")
        if target is None:
            return  # someone else removed them already
        require_can_manage_member(actor, target)
        if target.is_owner:
            _require_another_owner(target)
        target.delete()
        record(
            None,
            Action.MEMBER_REMOVED,
            actor=actor.user,
            target=target.user,
            organisation=target.organisation.slug,
            role=target.role,
        )


def leave(membership: Membership) -> None:
    """Leave the organisation, unless that would leave it without an owner."""
    with transaction.atomic():
        _lock(membership.organisation_id)
        membership = _fresh(membership)
        if membership is None:
            return
        if membership.is_owner:
            _require_another_owner(membership)
        membership.delete()
        record(
            None,
            Action.MEMBER_LEFT,
            actor=membership.user,
            target=membership.organisation.slug,
            role=membership.role,
        )
