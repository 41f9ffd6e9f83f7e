"""Print the site's two-factor policy and how many active users have each method."""

from django.core.management.base import BaseCommand
from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import User
from twofactor.models import Authenticator, Passkey, RecoveryCode, SecurityPolicy


class Command(BaseCommand):
    help = "Show the two-factor policy and how many active users use each method."

    def handle(self, *args, **options) -> None:
        policy = SecurityPolicy.load()
        saved = (
            f" (set by {policy.updated_by.email}, {policy.updated_at:%Y-%m-%d %H:%M})"
            if policy.updated_by
            else ""
        )
        users = User.objects.filter(is_active=True).annotate(
            has_app=Exists(
                Authenticator.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)
            ),
            codes_left=Count("recovery_codes", filter=Q(recovery_codes__used_at=None)),
            has_passkey=Exists(Passkey.objects.filter(user=OuterRef("pk"))),
        )
        with_app = users.filter(has_app=True)
        counts = {
            "active users": users.count(),
            "authenticator app": with_app.count(),
            "  with recovery codes left": with_app.filter(codes_left__gt=0).count(),
            "  with no recovery codes left": with_app.filter(codes_left=0).count(),
            "e-mail only": users.filter(has_app=False).count(),
            "passkey": users.filter(has_passkey=True).count(),
        }
        unused = RecoveryCode.objects.filter(user__is_active=True, used_at=None).count()
        out = [f"Two-factor policy: {policy.two_factor_policy}{saved}"]
        width = max(len(label) for label in counts) + 2
        out += [f"{label + ':':<{width}}{count}" for label, count in counts.items()]
        out.append(f"{'unused recovery codes:':<{width}}{unused}")
        passkeys = Passkey.objects.filter(user__is_active=True).count()
        out.append(f"{'passkeys:':<{width}}{passkeys}")
        self.stdout.write("\n".join(out))
