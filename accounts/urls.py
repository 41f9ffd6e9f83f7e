from django.urls import path

from accounts import security_views, self_service_views, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup_view, name="signup"),
    path("verify/", views.verify_view, name="verify"),
    path("verify/resend/", views.verify_resend_view, name="verify_resend"),
    path("login/", views.login_view, name="login"),
    path("login/2fa/", views.login_2fa_view, name="login_2fa"),
    path("login/2fa/enrol/", views.login_enrol_view, name="login_enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("login/app-required/", views.app_required_view, name="app_required"),
    path("password/reset/", views.password_reset_view, name="password_reset"),
    path("password/reset/done/", views.password_reset_done_view, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/change/", self_service_views.password_change_view, name="password_change"),
    path("email/change/", self_service_views.email_change_view, name="email_change"),
    path(
        "email/change/confirm/",
        self_service_views.email_change_confirm_view,
        name="email_change_confirm",
    ),
    path(
        "email/change/resend/",
        self_service_views.email_change_resend_view,
        name="email_change_resend",
    ),
    path(
        "email/change/undo/<str:token>/",
        self_service_views.email_change_undo_view,
        name="email_change_undo",
    ),
    path("profile/", self_service_views.profile_view, name="profile"),
    path("security/", security_views.security_view, name="security"),
    path(
        "security/password/",
        security_views.reauthenticate_view,
        name="security_reauthenticate",
    ),
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
        "security/sessions/<int:session_id>/end/",
        security_views.end_session_view,
        name="security_end_session",
    ),
    path(
        "security/sessions/end-others/",
        security_views.end_other_sessions_view,
        name="security_end_other_sessions",
    ),
]
