from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from core import password_words
        from core.purge import register
        from organisations.flows.invitations import purge_expired_invitations
        from organisations.flows.memberships import organisation_names

        register("expired invitations removed", purge_expired_invitations)
        password_words.register("the name of an organisation you belong to", organisation_names)
