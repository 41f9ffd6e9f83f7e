"""Create a development admin when the database has no superuser yet."""

import secrets

from django.core.management.base import BaseCommand

from accounts.models import User

DEV_ADMIN_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = "Create a development superuser if none exists and print its credentials once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", default=DEV_ADMIN_EMAIL)

    def handle(self, *args, email: str, **options) -> None:
        if User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(email=email, password=password)
        self.stdout.write(self.style.SUCCESS("Created a development admin (shown only this once):"))
        self.stdout.write(f"  e-mail:   {email}\n  password: {password}")
