from django.urls import path

from accounts import security_views, self_service_views, views

# The "accounts" namespace also holds twofactor's pages (twofactor/urls.py), under the
# same /accounts/ paths: hygate/urls.py joins the two lists.
app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup_view, name="signup"),
    path("verify/", views.verify_view, name="verify"),
    path("verify/resend/", views.verify_resend_view, name="verify_resend"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
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
    path(
        "security/password/",
        security_views.reauthenticate_view,
        name="security_reauthenticate",
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
