"""Passkey pages, under /accounts/ and in the "accounts" namespace (hygate/urls.py)."""

from django.urls import path

from twofactor import passkey_views

urlpatterns = [
    path("login/passkey/", passkey_views.login_view, name="passkey_login"),
    path(
        "login/passkey/options/",
        passkey_views.login_options_view,
        name="passkey_login_options",
    ),
    path("login/2fa/passkey/", passkey_views.second_step_view, name="passkey_second_step"),
    path(
        "login/2fa/passkey/options/",
        passkey_views.second_step_options_view,
        name="passkey_second_step_options",
    ),
    path("security/passkeys/add/", passkey_views.add_view, name="security_passkey_add"),
    path(
        "security/passkeys/add/options/",
        passkey_views.add_options_view,
        name="security_passkey_options",
    ),
    path(
        "security/passkeys/<int:passkey_id>/rename/",
        passkey_views.rename_view,
        name="security_passkey_rename",
    ),
    path(
        "security/passkeys/<int:passkey_id>/remove/",
        passkey_views.remove_view,
        name="security_passkey_remove",
    ),
    path(
        "security/passkeys/undo/<str:token>/",
        passkey_views.undo_view,
        name="security_passkey_undo",
    ),
]
