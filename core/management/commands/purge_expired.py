"""manage.py purge_expired: delete expired codes, invitations and never-verified accounts."""

from django.core.management.base import BaseCommand

from core.purge import purge_all


class Command(BaseCommand):
    help = (
        "Delete what has expired: e-mailed codes, invitations, and accounts never verified "
        "within 7 days. Safe to run from cron at any interval."
    )

    def handle(self, *args, **options) -> None:
        counts = purge_all()
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count}")
        if not counts:
            self.stdout.write("Nothing registers expired data.")
