from django.apps import AppConfig


class EmailingConfig(AppConfig):
    name = "emailing"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from core.purge import register
        from emailing import checks, config, delivery_log  # noqa: F401  (checks registers itself)
        from emailing.backends.resend import install_http_client

        install_http_client()
        register("stuck deliveries (marked failed, kept)", delivery_log.fail_interrupted)
        setting_changed.connect(lambda **kwargs: config.forget(), weak=False)
