"""What ends an app's tokens: the user deactivated, their sessions ended on purpose."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.signals import sessions_ended
from core.purge import register
from oidc import flows, keys
from oidc.models import Authentication

User = get_user_model()


@receiver(post_save, sender=User, dispatch_uid="oidc-end-tokens-deactivated")
def end_tokens_of_deactivated(sender, instance, **kwargs) -> None:
    """A deactivated account keeps no app signed in."""
    if not instance.is_active:
        flows.end_tokens(instance)


@receiver(sessions_ended, dispatch_uid="oidc-end-tokens-with-sessions")
def end_tokens_with_sessions(sender, user, reason: str, **kwargs) -> None:
    """Ending a user's sessions ends their apps' refresh tokens as well."""
    flows.end_tokens(user)


def purge_old_authentications() -> int:
    """Delete sign-in records no code or live refresh token can still need."""
    lifetime = settings.OAUTH2_PROVIDER.get("REFRESH_TOKEN_EXPIRE_SECONDS") or 30 * 86400
    cutoff = timezone.now() - timedelta(seconds=lifetime + 86400)
    live = flows.RefreshToken.objects.filter(revoked__isnull=True).values("token_family")
    old = Authentication.objects.filter(created_at__lt=cutoff).exclude(token_family__in=live)
    return old.delete()[0]


register("retired ID-token signing keys removed", keys.purge_retired_keys)
register("old app sign-in records removed", purge_old_authentications)
