"""Authenticator, RecoveryCode and SecurityPolicy moved to the twofactor app.

Django's state only: the tables stay as they are (twofactor/0001 takes them over).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_canonical_email'),
        ('twofactor', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='recoverycode',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='securitypolicy',
                    name='updated_by',
                ),
                migrations.DeleteModel(
                    name='Authenticator',
                ),
                migrations.DeleteModel(
                    name='RecoveryCode',
                ),
                migrations.DeleteModel(
                    name='SecurityPolicy',
                ),
            ],
            database_operations=[],
        ),
    ]
