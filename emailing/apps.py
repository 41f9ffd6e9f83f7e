from django.apps import AppConfig


class EmailingConfig(AppConfig):
    name = "emailing"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from emailing import checks  # noqa: F401  (registers the system checks)
