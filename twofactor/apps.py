from django.apps import AppConfig


class TwofactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = "Two-factor"
