"""Create a development admin when the database has no superuser yet."""

import ipaddress
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User

DEV_ADMIN_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = (
        "Create a development superuser if none exists and print its credentials once; "
        "say which address to open."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", default=DEV_ADMIN_EMAIL)

    def handle(self, *args, email: str, **options) -> None:
        self._create_admin(email)
        self._say_where()

    def _create_admin(self, email: str) -> None:
        if User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(email=email, password=password)
        self.stdout.write(self.style.SUCCESS("Created a development admin (shown only this once):"))
        self.stdout.write(f"  e-mail:   {email}\n  password: {password}")

    def _say_where(self) -> None:
        """Name the address to open: browsers offer passkeys on a name, never on an IP."""
        site = settings.HYGATE_SITE_URL
        self.stdout.write(f"Open {site}/ in your browser.")
        try:
            ipaddress.ip_address(urlsplit(site).hostname or "")
        except ValueError:
            self.stdout.write("  (Use this name, not 127.0.0.1: passkeys need a name.)")
        else:
            self.stdout.write(
                "  (passkeys are not offered on an IP address: use a name such as localhost)"
            )
