from django.apps import AppConfig


class EmailingConfig(AppConfig):
    name = "emailing"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from core.purge import register
        from emailing import checks, config, delivery_log, queue  # noqa: F401  (checks: itself)
        from emailing.backends.resend import install_http_client

        install_http_client()
        register("stuck deliveries marked failed (kept in the log)", delivery_log.fail_interrupted)
        register("queued batches sent again", queue.requeue_abandoned)
        setting_changed.connect(lambda **kwargs: config.forget(), weak=False)
