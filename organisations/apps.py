from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from core import password_words
        from core.purge import register
        from emailing.signals import delivery_outcome
        from organisations.flows.invitations import (
            purge_expired_invitations,
            record_delivery_outcome,
        )
        from organisations.flows.memberships import organisation_names

        register("expired invitations removed", purge_expired_invitations)
        delivery_outcome.connect(record_delivery_outcome, dispatch_uid="organisations.invitations")
        password_words.register("the name of an organisation you belong to", organisation_names)
