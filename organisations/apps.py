from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from core.purge import register
        from organisations.flows.invitations import purge_expired_invitations

        register("expired invitations removed", purge_expired_invitations)
