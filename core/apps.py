from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app may import: access, redirects, rate limits, after-response jobs."""

    name = "core"
    verbose_name = "Hygate core"

    def ready(self) -> None:
        from core import checks  # noqa: F401  (registers the system checks)
