from django.contrib import admin
from django.urls import include, path

from hygate import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/", include("accounts.urls")),
    path("settings/", include("emailing.urls")),
    path("admin/", admin.site.urls),
]
