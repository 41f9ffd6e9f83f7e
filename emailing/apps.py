from django.apps import AppConfig


class EmailingConfig(AppConfig):
    name = "emailing"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from emailing import checks, config  # noqa: F401  (checks registers itself)
        from emailing.backends.resend import install_http_client

        install_http_client()
        setting_changed.connect(lambda **kwargs: config.forget(), weak=False)
