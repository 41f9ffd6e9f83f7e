# Every invitation's address in its canonical form (core.addresses), compared with `=`.
#
# Two open invitations of one organisation whose addresses collapse into one are the same
# mailbox invited twice: the newer stays open, the older is withdrawn (as inviting the
# address again would have done), and both are reported.

from collections import defaultdict

import core.addresses
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import migrations, models
from django.utils import timezone


def canonicalise_invitations(apps, schema_editor) -> None:
    """Rewrite invitation addresses in canonical form; withdraw older open duplicates."""
    Invitation = apps.get_model("organisations", "Invitation")
    now = timezone.now()
    open_ones = defaultdict(list)
    for invitation in Invitation.objects.order_by("created_at", "pk"):
        try:
            canonical = core.addresses.canonical_email(invitation.email)
        except ValidationError:
            print(
                f"\n  invitation #{invitation.pk} to {invitation.email}: this address cannot be "
                "made canonical, so nobody can accept it. It is kept until it expires."
            )
            continue
        if invitation.accepted_at or invitation.declined_at or invitation.revoked_at:
            if invitation.email != canonical:
                Invitation.objects.filter(pk=invitation.pk).update(email=canonical)
        else:
            open_ones[(invitation.organisation_id, canonical)].append(invitation)
    for (_organisation, canonical), invitations in open_ones.items():
        *older, newest = invitations
        for invitation in older:
            Invitation.objects.filter(pk=invitation.pk).update(email=canonical, revoked_at=now)
            print(
                f"\n  invitation #{invitation.pk} to {invitation.email} withdrawn: invitation "
                f"#{newest.pk} to {newest.email} is newer and invites the same address, {canonical}."
            )
        if newest.email != canonical:
            Invitation.objects.filter(pk=newest.pk).update(email=canonical)


class Migration(migrations.Migration):

    dependencies = [
        ('organisations', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='invitation',
            name='organisations_one_open_invitation_per_address',
        ),
        migrations.AlterField(
            model_name='invitation',
            name='email',
            field=core.addresses.CanonicalEmailField(max_length=254, verbose_name='e-mail address'),
        ),
        migrations.RunPython(canonicalise_invitations, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='invitation',
            constraint=models.UniqueConstraint(condition=models.Q(('accepted_at', None), ('declined_at', None), ('revoked_at', None)), fields=('email', 'organisation'), name='organisations_one_open_invitation_per_address'),
        ),
    ]
