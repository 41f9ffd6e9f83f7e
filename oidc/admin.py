"""No admin pages for django-oauth-toolkit's models: apps are Hygate's settings pages' to change.

DOT registers its Application, token and grant models in the admin, where the apps'
permission (the one that opens /settings/apps/) would change an app past the settings form's
checks (exact https or loopback redirect URIs, the authorization-code grant only, secrets
made by Hygate and shown once) and past the audit log.
"""

from django.contrib import admin
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

for model in (
    get_application_model(),
    get_access_token_model(),
    get_refresh_token_model(),
    get_id_token_model(),
    get_grant_model(),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
