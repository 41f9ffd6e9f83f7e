from django.apps import AppConfig


class HygateConfig(AppConfig):
    name = "hygate"
    verbose_name = "Hygate"
