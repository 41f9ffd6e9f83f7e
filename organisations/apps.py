from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save, pre_delete

        from core import deletion, password_words
        from core.purge import register
        from emailing.signals import delivery_outcome
        from organisations.flows.invitations import (
            purge_expired_invitations,
            record_delivery_outcome,
            revoke_on_deactivation,
            revoke_on_leaving,
            revoke_on_role_change,
        )
        from organisations.flows.memberships import (
            last_owner_reasons,
            organisation_names,
            refuse_deleting_last_owner,
        )
        from organisations.models import Membership

        user_model = get_user_model()
        post_save.connect(revoke_on_role_change, sender=Membership, dispatch_uid="org-revoke-role")
        pre_delete.connect(revoke_on_leaving, sender=Membership, dispatch_uid="org-revoke-leave")
        post_save.connect(revoke_on_deactivation, sender=user_model, dispatch_uid="org-revoke-off")
        pre_delete.connect(refuse_deleting_last_owner, sender=user_model, dispatch_uid="org-owner")
        deletion.register(user_model._meta.label, last_owner_reasons)

        register("expired invitations removed", purge_expired_invitations)
        delivery_outcome.connect(record_delivery_outcome, dispatch_uid="organisations.invitations")
        password_words.register("the name of an organisation you belong to", organisation_names)
