"""Two-factor pages, under /accounts/ and in the "accounts" namespace (hygate/urls.py)."""

from django.urls import path

from twofactor import security_views, trust_views, views

urlpatterns = [
    path("login/2fa/", views.login_2fa_view, name="login_2fa"),
    path("login/2fa/enrol/", views.login_enrol_view, name="login_enrol"),
    path("login/app-required/", views.app_required_view, name="app_required"),
    path("security/", security_views.security_view, name="security"),
    path(
        "security/authenticator/",
        security_views.authenticator_view,
        name="security_authenticator",
    ),
    path(
        "security/authenticator/confirm-email/",
        security_views.reenrol_view,
        name="security_reenrol",
    ),
    path(
        "security/authenticator/undo/<str:token>/",
        security_views.authenticator_undo_view,
        name="security_authenticator_undo",
    ),
    path(
        "security/authenticator/remove/",
        security_views.remove_authenticator_view,
        name="security_remove_authenticator",
    ),
    path(
        "security/recovery-codes/",
        security_views.recovery_codes_view,
        name="security_recovery_codes",
    ),
    path(
        "security/browsers/<int:browser_id>/stop/",
        trust_views.stop_trusting_view,
        name="security_stop_trusting",
    ),
]
