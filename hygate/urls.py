from django.contrib import admin
from django.urls import include, path

from accounts import urls as accounts_urls
from audit.views import audit_log_view
from emailing.webhooks import resend_webhook_view
from hygate import views
from oidc import views as oidc_views
from organisations.views import invitation_view
from twofactor import passkey_urls
from twofactor import urls as twofactor_urls
from twofactor.security_views import security_settings_view

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # One namespace, "accounts", for the account's pages and its two-factor pages.
    path(
        "accounts/",
        include(
            (
                accounts_urls.urlpatterns + twofactor_urls.urlpatterns + passkey_urls.urlpatterns,
                "accounts",
            )
        ),
    ),
    path("settings/", include("emailing.urls")),
    path("settings/security/", security_settings_view, name="security_settings"),
    path("settings/audit/", audit_log_view, name="audit_log"),
    path("orgs/", include("organisations.urls")),
    path("invitations/<str:token>/", invitation_view, name="invitation"),
    path("webhooks/resend/", resend_webhook_view, name="resend_webhook"),
    path("settings/apps/", include("oidc.settings_urls")),
    path("accounts/apps/", oidc_views.my_apps_view, name="my_apps"),
    path("accounts/apps/<int:pk>/revoke/", oidc_views.revoke_app_view, name="revoke_app"),
    # The OpenID Connect provider: discovery at the site root, its endpoints under /o/.
    path("", include("oidc.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Staff sign in through Hygate's own sign-in (and its later second factor), never a
    # password-only form of the admin's.
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
]
