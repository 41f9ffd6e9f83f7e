"""Inviting people by e-mail, and the invited person's answer.

The link carries a random token (`secrets.token_urlsafe(32)`); the database keeps only its
SHA-256, and finds an invitation by that hash. Every new token (an invitation to the same
address again, a resend) overwrites the hash, so the older link stops working at once.
"""

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.events import Action, record
from core.ratelimit import consume, parse_rules, release
from emailing.messages import Delivery, enqueue, render_message, send_message
from emailing.models import EmailLog
from organisations.flows import LimitReached, Refused, caps
from organisations.models import (
    INVITATION_LIFETIME,
    Invitation,
    Membership,
    Organisation,
    hash_token,
)
from organisations.permissions import require_grantable, require_manager, roles_grantable_by

DAILY_LIMIT_ACTION = "invitation_org"
INVITER_LIMIT_ACTION = "invitation_inviter"
BULK_DAILY_LIMIT_ACTION = "invitation_org_bulk"
BULK_INVITER_LIMIT_ACTION = "invitation_inviter_bulk"
# An invitation's mail carries "invitation:<pk>" in the delivery log (emailing.signals).
REFERENCE_KIND = "invitation"
UNDELIVERED = {EmailLog.Event.BOUNCED, EmailLog.Event.COMPLAINED, EmailLog.Event.FAILED}


def new_token() -> str:
    """Return a fresh random link token (256 bits)."""
    return secrets.token_urlsafe(32)


def invitation_url(token: str) -> str:
    """Return the absolute link an invitation e-mail carries."""
    return settings.HYGATE_SITE_URL + reverse("invitation", kwargs={"token": token})


def find_invitation(token: str) -> Invitation | None:
    """Return the invitation whose link carries this token, looked up by its hash."""
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )


def pending_invitations_for(user: User) -> list[Invitation]:
    """Return the working invitations addressed to the user's verified address."""
    if not user.is_verified:
        return []
    return list(
        Invitation.objects.pending()
        .filter(email=user.email)
        .select_related("organisation", "invited_by")
    )


def _daily_limit(action: str) -> int:
    return parse_rules(settings.HYGATE_RATE_LIMIT_RULES[action])[0].amount


def _count_against_daily_limit(request: HttpRequest, actor: Membership) -> None:
    if wait := consume(request, DAILY_LIMIT_ACTION, key=str(actor.organisation_id)):
        raise LimitReached(wait, limit=_daily_limit(DAILY_LIMIT_ACTION))
    if wait := consume(request, INVITER_LIMIT_ACTION, key=str(actor.user_id)):
        raise LimitReached(
            wait, limit=_daily_limit(INVITER_LIMIT_ACTION), code="daily_limit_inviter"
        )


def _mail_context(invitation: Invitation, token: str) -> dict:
    inviter = invitation.invited_by
    return {
        "organisation": invitation.organisation,
        "inviter": inviter,
        "inviter_name": inviter.get_full_name() if inviter else "A former member",
        "role": invitation.role,
        "invitation_url": invitation_url(token),
        "expires_days": INVITATION_LIFETIME.days,
        "expires_at": invitation.expires_at,
    }


def reference_of(invitation: Invitation) -> str:
    """Return the reference an invitation's mail carries in the delivery log."""
    return f"{REFERENCE_KIND}:{invitation.pk}"


def _message(invitation: Invitation, token: str):
    return render_message(
        "invitation",
        invitation.email,
        _mail_context(invitation, token),
        reference=reference_of(invitation),
    )


def send_invitation(invitation: Invitation, token: str) -> Delivery:
    """E-mail the invitation's link; what becomes of the mail marks it sent or failed.

    Queued mail (HYGATE_EMAIL_QUEUE=database) leaves the invitation unsent until a worker
    sends it: `record_delivery_outcome` stamps `sent_at`, or `send_failed`, then.
    """
    delivery = send_message(
        "invitation",
        invitation.email,
        _mail_context(invitation, token),
        reference=reference_of(invitation),
    )
    invitation.refresh_from_db(fields=["sent_at", "send_failed"])
    return delivery


def record_delivery_outcome(sender, entry: EmailLog, **kwargs) -> None:
    """Mark an invitation sent or failed as its mail's delivery-log entry now says."""
    kind, _, pk = entry.reference.partition(":")
    if kind != REFERENCE_KIND or not pk.isdigit():
        return
    # A newer mail for the same invitation (a resend, a new invitation) speaks for it now.
    if EmailLog.objects.filter(reference=entry.reference, pk__gt=entry.pk).exists():
        return
    invitation = Invitation.objects.filter(pk=int(pk))
    if entry.status == EmailLog.Status.FAILED or entry.event in UNDELIVERED:
        invitation.update(send_failed=True)
    elif entry.status == EmailLog.Status.SENT:
        invitation.update(sent_at=entry.sent_at or timezone.now(), send_failed=False)


def _lock_organisation(organisation_id: int) -> None:
    Organisation.objects.select_for_update().filter(pk=organisation_id).first()


def _require_not_member(organisation: Organisation, email: str) -> None:
    if Membership.objects.filter(organisation=organisation, user__email=email).exists():
        raise Refused("already_member", email=email)


def invite(
    request: HttpRequest, actor: Membership, email: str, role: str
) -> tuple[Invitation, Delivery]:
    """Invite an address with a role, replacing its open invitation, and e-mail the link."""
    require_manager(actor)
    require_grantable(actor, role)
    organisation = actor.organisation
    _require_not_member(organisation, email)
    caps.require_room(actor.user)
    _count_against_daily_limit(request, actor)
    token = new_token()
    with transaction.atomic():
        # Serialise invitations of one organisation, so one address never gets two open ones,
        # and wait for an answer being given right now (accept() takes the same lock).
        _lock_organisation(organisation.pk)
        _require_not_member(organisation, email)
        # Locked, so an answer given at this moment is kept: its row no longer counts as open.
        invitation = (
            Invitation.objects.open()
            .select_for_update()
            .filter(organisation=organisation, email=email)
            .first()
        ) or Invitation(organisation=organisation, email=email)
        # Replacing an invitation rewrites its role and kills its link: the same say as revoking.
        if invitation.pk and invitation.role not in roles_grantable_by(actor):
            raise Refused("pending_for_higher_role", email=email, role=invitation.role)
        _renew(invitation, actor, role, token)
        invitation.save()
    delivery = send_invitation(invitation, token)
    _record(request, Action.INVITATION_SENT, actor.user, invitation, sent=delivery.sent)
    return invitation, delivery


def _record(
    request: HttpRequest | None,
    action: str,
    actor: User | None,
    invitation: Invitation,
    **details,
) -> None:
    record(
        request,
        action,
        actor=actor,
        target=invitation.organisation.slug,
        invitation=invitation.pk,
        email=invitation.email,
        role=invitation.role,
        **details,
    )


def _renew(invitation: Invitation, actor: Membership, role: str, token: str) -> None:
    now = timezone.now()
    invitation.role = role
    invitation.invited_by = actor.user
    invitation.token_hash = hash_token(token)
    invitation.created_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    # A new mail goes out: until it does, the invitation is neither sent nor failed.
    invitation.sent_at = None
    invitation.send_failed = False


@dataclass
class BulkResult:
    """What a pasted list came to: who was invited, who was sent a new link, who was skipped."""

    invited: list[Invitation] = field(default_factory=list)
    # Already invited: a fresh link went out and the earlier one died, which the page says.
    resent: list[Invitation] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (address, reason code)


def invite_many(
    request: HttpRequest, actor: Membership, entries: list[tuple[str, str]]
) -> BulkResult:
    """Invite many (address, role) pairs at once; the mail follows through the queue.

    The same rules as one invitation: a member is skipped, an open invitation to the same
    address is replaced. The whole list counts against the organisation's bulk daily cap
    (HYGATE_RATE_LIMIT_RULES["invitation_org_bulk"]), all or nothing.
    """
    require_manager(actor)
    for role in {role for _, role in entries}:
        require_grantable(actor, role)
    organisation = actor.organisation
    # Addresses are canonical (core.addresses) on both sides: plain comparison is enough.
    members = set(
        Membership.objects.filter(organisation=organisation).values_list("user__email", flat=True)
    )
    result = BulkResult(skipped=[(e, "bulk_member") for e, _ in entries if e in members])
    wanted = [(email, role) for email, role in entries if email not in members]
    # Past a daily cap, the rest of the list is skipped and counted as such (flows.caps).
    room = caps.room_for(actor.user).left
    result.skipped += [(email, "bulk_daily_cap") for email, _ in wanted[room:]]
    wanted = wanted[:room]
    if not wanted:
        return result
    _count_bulk_against_daily_limit(request, organisation, len(wanted))
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        open_ones = {
            invitation.email: invitation
            for invitation in Invitation.objects.open().filter(organisation=organisation)
        }
        tokens = {}
        grantable = roles_grantable_by(actor)
        for email, role in wanted:
            invitation = open_ones.get(email) or Invitation(organisation=organisation, email=email)
            if invitation.pk and invitation.role not in grantable:
                # As for one invitation: only who may give its role may replace it.
                result.skipped.append((email, "bulk_pending_higher"))
                continue
            tokens[email] = token = new_token()
            (result.resent if invitation.pk else result.invited).append(invitation)
            _renew(invitation, actor, role, token)
        Invitation.objects.bulk_create(result.invited)
        Invitation.objects.bulk_update(
            result.resent,
            [
                "role",
                "invited_by",
                "token_hash",
                "created_at",
                "expires_at",
                "sent_at",
                "send_failed",
            ],
        )
        sent = [*result.invited, *result.resent]
        enqueue([_message(i, tokens[i.email]) for i in sent], request)
    record(
        request,
        Action.INVITATION_SENT,
        actor=actor.user,
        target=organisation.slug,
        bulk=True,
        invited=len(result.invited),
        resent=len(result.resent),
        skipped=len(result.skipped),
    )
    return result


def _count_bulk_against_daily_limit(
    request: HttpRequest, organisation: Organisation, amount: int
) -> None:
    # Per organisation, and per inviter across organisations: a new organisation buys no
    # more mail (the same reason as INVITER_LIMIT_ACTION for single invitations).
    counted = []
    for action, key in (
        (BULK_DAILY_LIMIT_ACTION, str(organisation.pk)),
        (BULK_INVITER_LIMIT_ACTION, str(request.user.pk)),
    ):
        wait = consume(request, action, key=key, amount=amount)
        counted.append((action, key))
        if wait:
            for done_action, done_key in counted:
                release(request, done_action, key=done_key, amount=amount)
            rule = settings.HYGATE_RATE_LIMIT_RULES[action]
            raise LimitReached(wait, limit=parse_rules(rule)[0].amount)


def resend(request: HttpRequest, actor: Membership, invitation: Invitation) -> Delivery:
    """Send the invitation again with a fresh link and expiry; the old link dies."""
    require_manager(actor)
    require_grantable(actor, invitation.role)
    if not invitation.is_open:
        raise Refused("not_open")
    _count_against_daily_limit(request, actor)
    token = new_token()
    now = timezone.now()
    updated = (
        Invitation.objects.open()
        .filter(pk=invitation.pk)
        .update(
            token_hash=hash_token(token),
            expires_at=now + INVITATION_LIFETIME,
            sent_at=None,
            send_failed=False,
        )
    )
    if not updated:
        raise Refused("not_open")
    invitation.refresh_from_db()
    delivery = send_invitation(invitation, token)
    _record(
        request, Action.INVITATION_SENT, actor.user, invitation, sent=delivery.sent, resent=True
    )
    return delivery


def revoke(actor: Membership, invitation: Invitation) -> None:
    """Withdraw an open invitation; its link then says so."""
    require_manager(actor)
    require_grantable(actor, invitation.role)
    updated = (
        Invitation.objects.open()
        .filter(pk=invitation.pk)
        .update(revoked_at=timezone.now(), revoked_by=actor.user)
    )
    if not updated:
        raise Refused("not_open")
    _record(None, Action.INVITATION_REVOKED, actor.user, invitation)


def revoke_beyond_rights(membership: Membership, *, leaving: bool = False) -> int:
    """Revoke the member's open invitations whose role they may no longer give; return how many.

    An invitation dies with its inviter's right to invite: an admin made a member, an owner
    stepping down to admin (for owner invitations), and anyone who leaves or is removed.
    """
    grantable = [] if leaving else roles_grantable_by(membership)
    doomed = list(
        Invitation.objects.open()
        .filter(organisation_id=membership.organisation_id, invited_by_id=membership.user_id)
        .exclude(role__in=grantable)
        .select_related("organisation")
    )
    now = timezone.now()
    for invitation in doomed:
        if Invitation.objects.open().filter(pk=invitation.pk).update(revoked_at=now):
            # No actor: whoever changed the membership is recorded by that change.
            _record(
                None,
                Action.INVITATION_REVOKED,
                None,
                invitation,
                reason="inviter_lost_right",
                inviter=membership.user.email,
            )
    return len(doomed)


def revoke_on_role_change(sender, instance: Membership, created: bool, **kwargs) -> None:
    """post_save of a membership (a page, the admin, a script): apply revoke_beyond_rights."""
    if not created:
        revoke_beyond_rights(instance)


def revoke_on_leaving(sender, instance: Membership, origin=None, **kwargs) -> None:
    """pre_delete of a membership: its open invitations go with it.

    Not when the organisation itself is deleted: its invitations are deleted with it. Before
    the delete, as deleting the user sets `invited_by` to NULL before any post_delete.
    """
    deleting = origin.model if isinstance(origin, QuerySet) else type(origin)
    if deleting is not Organisation:
        revoke_beyond_rights(instance, leaving=True)


def _lock(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().get(pk=invitation.pk)


def _require_answerable(user: User, invitation: Invitation) -> None:
    """Refuse an invitation that is not pending or not addressed to the user."""
    state = invitation.state
    if state != Invitation.State.PENDING:
        raise Refused(f"invitation_{state}")
    if not invitation.is_for(user):
        raise PermissionDenied("This invitation is for another address.")


def accept(user: User, invitation: Invitation) -> Membership:
    """Join the organisation with the invitation's role; accepting again changes nothing."""
    with transaction.atomic():
        # The organisation's row before the invitation's, in the order invite() takes them:
        # the new membership's foreign key locks that row at commit, and the opposite
        # order would deadlock with an invitation to the same address at the same moment.
        _lock_organisation(invitation.organisation_id)
        invitation = _lock(invitation)
        if invitation.accepted_by_id == user.pk:
            membership = Membership.objects.filter(
                user=user, organisation_id=invitation.organisation_id
            ).first()
            if membership is not None:
                return membership
        _require_answerable(user, invitation)
        # Someone already in the organisation keeps the role they have.
        membership, _ = Membership.objects.get_or_create(
            user=user,
            organisation_id=invitation.organisation_id,
            defaults={"role": invitation.role},
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        _record(None, Action.INVITATION_ACCEPTED, user, invitation)
        return membership


def decline(user: User, invitation: Invitation) -> None:
    """Turn the invitation down; its link then says so. Declining again changes nothing."""
    with transaction.atomic():
        invitation = _lock(invitation)
        if invitation.declined_by_id == user.pk:
            return
        _require_answerable(user, invitation)
        invitation.declined_at = timezone.now()
        invitation.declined_by = user
        invitation.save(update_fields=["declined_at", "declined_by"])
        _record(None, Action.INVITATION_DECLINED, user, invitation)


def purge_expired_invitations() -> int:
    """Delete invitations past their expiry that nobody accepted; return how many."""
    deleted, _ = Invitation.objects.filter(expires_at__lt=timezone.now(), accepted_at=None).delete()
    return deleted
