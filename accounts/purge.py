"""What `manage.py purge_expired` removes from accounts."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.codes import FAILURE_WINDOW, QUOTA_WINDOW
from accounts.models import CodeBudget, EmailCode, User

UNVERIFIED_ACCOUNT_LIFETIME = timedelta(days=7)


def purge_unverified_accounts() -> int:
    """Delete accounts whose address was never verified within 7 days of signing up.

    This bounds how long anyone can guess at the code of an address they do not own.
    """
    cutoff = timezone.now() - UNVERIFIED_ACCOUNT_LIFETIME
    stale = User.objects.filter(
        email_verified_at__isnull=True, date_joined__lt=cutoff, is_staff=False, is_superuser=False
    )
    return stale.delete()[1].get(User._meta.label, 0)


def purge_expired_codes() -> int:
    """Delete e-mailed codes that expired or were used, and budgets with nothing to remember."""
    now = timezone.now()
    removed = EmailCode.objects.filter(Q(expires_at__lt=now) | Q(used_at__isnull=False)).delete()[0]
    idle = max(QUOTA_WINDOW, FAILURE_WINDOW)
    CodeBudget.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=now - idle),
        Q(sends_since__isnull=True) | Q(sends_since__lt=now - idle),
        Q(failures_since__isnull=True) | Q(failures_since__lt=now - idle),
    ).delete()
    return removed
