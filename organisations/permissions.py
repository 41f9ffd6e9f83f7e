"""Who may do what inside an organisation, by role.

Owners do everything; admins invite and manage members and admins but never touch an
owner nor grant `owner`; members can only leave. Breaking a rule raises PermissionDenied
(a 403): the pages never offer such a button, so only a forged request gets there.
"""

from django.core.exceptions import PermissionDenied

from organisations.models import Membership, Role


def roles_grantable_by(actor: Membership) -> list[str]:
    """Return the roles this member may give to others, highest first."""
    if actor.role == Role.OWNER:
        return [Role.OWNER, Role.ADMIN, Role.MEMBER]
    if actor.role == Role.ADMIN:
        return [Role.ADMIN, Role.MEMBER]
    return []


def can_manage_member(actor: Membership, target: Membership) -> bool:
    """Say whether actor may change target's role or remove them (not themselves)."""
    if actor.pk == target.pk or not actor.can_manage:
        return False
    return actor.is_owner or not target.is_owner


def require_manager(actor: Membership) -> None:
    """Refuse anyone but an owner or admin."""
    if not actor.can_manage:
        raise PermissionDenied("Only owners and admins can do this.")


def require_grantable(actor: Membership, role: str) -> None:
    """Refuse a role the actor may not give."""
    if role not in roles_grantable_by(actor):
        raise PermissionDenied("This role cannot be given by you.")


def require_can_manage_member(actor: Membership, target: Membership) -> None:
    """Refuse changing a member the actor has no say over."""
    if not can_manage_member(actor, target):
        raise PermissionDenied("You cannot change this member.")
