"""Re-encrypt every stored secret with the first key of HYGATE_ENCRYPTION_KEY."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import crypto


def encrypted_fields() -> list[tuple[type, tuple[str, ...]]]:
    """Return every installed model that declares ENCRYPTED_FIELDS, with those fields.

    Models of any app opt in with a class attribute, so this app needs to import none of them.
    """
    return [
        (model, tuple(model.ENCRYPTED_FIELDS))
        for model in apps.get_models()
        if getattr(model, "ENCRYPTED_FIELDS", None)
    ]


class Command(BaseCommand):
    help = (
        "Re-encrypt stored secrets with the first HYGATE_ENCRYPTION_KEY key, after which the "
        "other keys can be removed."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        count = 0
        for model, fields in encrypted_fields():
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
