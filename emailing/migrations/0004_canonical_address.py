# Suppressed addresses in the canonical form (core.addresses) that look-ups now use.
# Spellings of one mailbox become one entry: the oldest is kept (its reason stands).

import core.addresses
from django.db import migrations


def canonicalise_suppressions(apps, schema_editor) -> None:
    """Rewrite suppressed addresses in canonical form, one entry per mailbox."""
    Suppression = apps.get_model("emailing", "Suppression")
    kept = {}
    for entry in Suppression.objects.order_by("created_at", "pk"):
        key = core.addresses.email_key(entry.address)
        if key in kept:
            print(f"\n  suppression of {entry.address} merged into that of {kept[key].address}.")
            entry.delete()
        else:
            kept[key] = entry
    for key, entry in kept.items():
        if entry.address != key:
            Suppression.objects.filter(pk=entry.pk).update(address=key)


class Migration(migrations.Migration):

    dependencies = [
        ('emailing', '0003_mail_at_scale'),
    ]

    operations = [
        migrations.RunPython(canonicalise_suppressions, migrations.RunPython.noop),
    ]
