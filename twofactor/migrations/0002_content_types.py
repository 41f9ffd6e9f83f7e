"""Give the moved models' content types to twofactor, so granted permissions survive.

A permission belongs to a content type: relabelling the type keeps every group's and
user's "view/change security policy" (now `twofactor.change_securitypolicy`).
"""

from django.db import migrations

MOVED = ("authenticator", "recoverycode", "securitypolicy")


def relabel(apps, schema_editor, source="accounts", target="twofactor"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=source, model=model).update(
            app_label=target
        )


def relabel_back(apps, schema_editor):
    relabel(apps, schema_editor, source="twofactor", target="accounts")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("twofactor", "0001_initial"),
        ("accounts", "0010_two_factor_models_moved"),
    ]

    operations = [migrations.RunPython(relabel, relabel_back)]
