"""Daily caps on invitations: per inviter, lower for new accounts, and for the whole site.

An invitation puts words an inviter chose in front of a stranger, from the site's own
domain; these caps bound how many strangers one account (or a crowd of fresh accounts)
can reach in a day. They count rows of the database over the last 24 hours, so they hold
across processes and need no cache; the invitation flows count again under a lock on the
inviter's row, so lists sent at the same moment (to several organisations) share one cap.

Every address invited counts, whether or not it has an account. Counting only addresses
without one would refuse those and let the others through, and the inviter would learn
which addresses belong to someone. The price: invitations to people who already have an
account use up the same budget. Members of the organisation are never invited (they are
skipped before this, and the inviter already sees them), so they never count.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from organisations.flows import LimitReached
from organisations.models import Invitation

WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Room:
    """How many more addresses an inviter may invite now, under the tightest cap."""

    left: int
    limit: int
    code: str
    wait: int  # seconds until the oldest counted invitation leaves the window

    def refusal(self) -> LimitReached:
        """The error to show when there is no room."""
        refusal = LimitReached(self.wait, limit=self.limit, code=self.code)
        refusal.params["days"] = settings.HYGATE_INVITES_NEW_ACCOUNT_DAYS
        return refusal


def _inviter_cap(inviter: User) -> tuple[int, str]:
    limit = settings.HYGATE_INVITES_NEW_ADDRESSES_PER_INVITER_DAY
    new_for = timedelta(days=settings.HYGATE_INVITES_NEW_ACCOUNT_DAYS)
    if new_for and inviter.date_joined > timezone.now() - new_for:  # 0 days: no such period
        new_limit = settings.HYGATE_INVITES_NEW_ACCOUNT_PER_DAY
        if new_limit <= limit:
            return new_limit, "cap_new_account"
    return limit, "cap_inviter"


def _room_under(counted: QuerySet, limit: int, code: str) -> Room:
    since = timezone.now() - WINDOW
    recent = counted.filter(created_at__gt=since)
    used = recent.count()
    oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
    wait = int((oldest + WINDOW - timezone.now()).total_seconds()) if oldest else 0
    return Room(left=max(0, limit - used), limit=limit, code=code, wait=max(wait, 1))


def room_for(inviter: User) -> Room:
    """Return how many addresses the inviter may invite now, under every cap."""
    limit, code = _inviter_cap(inviter)
    rooms = [
        _room_under(Invitation.objects.filter(invited_by=inviter), limit, code),
        _room_under(
            Invitation.objects.all(), settings.HYGATE_INVITES_NEW_ADDRESSES_SITE_DAY, "cap_site"
        ),
    ]
    return min(rooms, key=lambda room: room.left)


def require_room(inviter: User) -> None:
    """Refuse one more invitation when a daily cap is reached."""
    room = room_for(inviter)
    if room.left < 1:
        raise room.refusal()
