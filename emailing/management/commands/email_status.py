"""Show the e-mail settings in force, secrets masked, and whether the domain is verified."""

from django.core.management.base import BaseCommand

from emailing import delivery_log, flows
from emailing.config import mask_secret
from emailing.models import Provider


class Command(BaseCommand):
    help = (
        "Show the effective e-mail provider, from-address and masked secrets, and check the domain."
    )

    def handle(self, *args, **options) -> None:
        cfg, unreadable = flows.current_config()
        source = "saved on Settings -> Email" if cfg.source == "saved" else "environment"
        self.stdout.write(f"Source:        {source}")
        self.stdout.write(f"Provider:      {cfg.provider}")
        self.stdout.write(f"From address:  {cfg.from_email}")
        if unreadable:
            self.stdout.write(self.style.ERROR(unreadable))
        if cfg.provider == Provider.RESEND:
            self.stdout.write(f"API URL:       {cfg.resend_api_url}")
            self.stdout.write(f"API key:       {mask_secret(cfg.resend_api_key) or 'not set'}")
        elif cfg.provider == Provider.SMTP:
            self.stdout.write(
                f"SMTP server:   {cfg.smtp_host}:{cfg.effective_smtp_port} ({cfg.smtp_security})"
            )
            self.stdout.write(f"SMTP username: {cfg.smtp_username or '(none)'}")
            self.stdout.write(f"SMTP password: {mask_secret(cfg.smtp_password) or 'not set'}")
        stuck = delivery_log.fail_interrupted()
        if stuck:
            self.stdout.write(
                self.style.WARNING(
                    f"Delivery log:  {stuck} message(s) left queued by a stopped process, "
                    "now marked failed (interrupted)"
                )
            )
        domain = flows.check_domain(cfg)
        if domain is None:
            self.stdout.write("Domain check:  only for Resend with an API key")
        elif domain.verified:
            self.stdout.write(self.style.SUCCESS(f"Domain check:  {domain.domain} is verified"))
        else:
            detail = f" ({domain.detail})" if domain.detail else ""
            self.stdout.write(
                self.style.WARNING(f"Domain check:  {domain.domain}: {domain.status}{detail}")
            )
