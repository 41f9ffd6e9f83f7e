from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = "Sign-in for other apps (OpenID Connect)"

    def ready(self) -> None:
        from oidc import receivers  # noqa: F401 (connects the signal receivers)
