# Every stored address in its canonical form (core.addresses), compared with `=`.
#
# Two accounts whose addresses collapse into one canonical form are never merged and never
# renamed here: which of them is the mailbox's owner is for the operator to decide. The
# migration then stops, changing nothing, and names the accounts (see README, "Addresses").

from collections import defaultdict

import core.addresses
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import migrations


def _describe(user) -> str:
    facts = [
        "verified" if user.email_verified_at else "not verified",
        f"joined {user.date_joined:%Y-%m-%d}",
        f"last sign-in {user.last_login:%Y-%m-%d}" if user.last_login else "never signed in",
    ]
    if user.is_staff:
        facts.append("staff")
    if not user.is_active:
        facts.append("deactivated")
    return f"#{user.pk} {user.email} ({', '.join(facts)})"


def _collision_report(collisions: dict) -> str:
    lines = [
        "Some accounts have addresses that are one and the same mailbox once written in "
        "their canonical form. Nothing was changed and no account was merged.",
    ]
    for canonical, users in sorted(collisions.items()):
        lines.append(f"  {canonical}:")
        lines.extend(f"    {_describe(user)}" for user in users)
    lines.append(
        "Decide which account keeps each address (usually the verified one its owner signs in "
        "to). Give every other one an address of its own (Django admin, Users, E-mail address), "
        "or delete it if it was never verified; then run `manage.py migrate` again."
    )
    return "\n".join(lines)


def canonicalise_users(apps, schema_editor) -> None:
    """Rewrite every user's address in its canonical form; stop if two would collapse."""
    User = apps.get_model("accounts", "User")
    groups = defaultdict(list)
    refused = []
    for user in User.objects.order_by("pk"):
        try:
            groups[core.addresses.canonical_email(user.email)].append(user)
        except ValidationError:
            refused.append(user)
    collisions = {canonical: users for canonical, users in groups.items() if len(users) > 1}
    if collisions:
        raise CommandError(_collision_report(collisions))
    rewritten = 0
    for canonical, (user,) in groups.items():
        if user.email != canonical:
            User.objects.filter(pk=user.pk).update(email=canonical)
            rewritten += 1
    if rewritten:
        print(f"\n  Canonical addresses: {rewritten} user address(es) rewritten.")
    for user in refused:
        print(
            f"\n  {_describe(user)}: this address cannot be made canonical, so nobody can sign "
            "in with it. It is kept as it is; give the account a valid address in the admin."
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_help_desk_permissions'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='user',
            name='accounts_user_email_ci_unique',
        ),
        migrations.AlterField(
            model_name='user',
            name='email',
            field=core.addresses.CanonicalEmailField(max_length=254, unique=True, verbose_name='e-mail address'),
        ),
        migrations.RunPython(canonicalise_users, migrations.RunPython.noop),
    ]
