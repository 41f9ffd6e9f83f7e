from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit log of security events; imports only core, so every app may write to it."""

    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from audit import receivers  # noqa: F401  (connects core's rate_limited signal)
