"""Re-encrypt every stored secret with the first key of HYGATE_ENCRYPTION_KEY."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from emailing import crypto
from emailing.models import EmailSettings

# Every model field that holds a secret encrypted with emailing.crypto.
ENCRYPTED_FIELDS = [(EmailSettings, ["resend_api_key", "smtp_password"])]


class Command(BaseCommand):
    help = (
        "Re-encrypt stored secrets with the first HYGATE_ENCRYPTION_KEY key, after which the "
        "other keys can be removed."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        count = 0
        for model, fields in ENCRYPTED_FIELDS:
            for row in model.objects.select_for_update():
                changed = []
                for name in fields:
                    token = getattr(row, name)
                    if not token:
                        continue
                    try:
                        setattr(row, name, crypto.rotate(token))
                    except crypto.SecretUnreadable:
                        raise CommandError(
                            f"{model._meta.verbose_name} #{row.pk} {name}: no key in "
                            "HYGATE_ENCRYPTION_KEY decrypts it; nothing was changed."
                        ) from None
                    changed.append(name)
                if changed:
                    row.save(update_fields=changed)
                    count += len(changed)
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {count} stored secret(s) with the first key.")
        )
