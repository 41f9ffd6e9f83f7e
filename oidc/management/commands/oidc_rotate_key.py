"""Sign ID tokens with a new key; the old one stays in the JWKS for a day."""

from django.core.management.base import BaseCommand

from oidc import keys


class Command(BaseCommand):
    help = "Make a new ID-token signing key; the old one stays published for a day."

    def handle(self, *args, **options) -> None:
        key = keys.rotate()
        self.stdout.write(
            f"New signing key {key.pk}; ID tokens signed before stay verifiable for "
            f"{keys.RETIRED_KEY_SECONDS // 3600} hours. Other processes switch within "
            f"{keys.RELOAD_SECONDS} seconds."
        )
