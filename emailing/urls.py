from django.urls import path

from emailing import views

app_name = "emailing"

urlpatterns = [
    path("email/", views.email_settings_view, name="settings"),
    path("email/environment/", views.use_environment_view, name="use_environment"),
    path("email/previews/<slug:slug>/", views.preview_view, name="preview"),
    path("email/previews/<slug:slug>/html/", views.preview_html_view, name="preview_html"),
    path(
        "email/suppressions/<int:pk>/lift/",
        views.lift_suppression_view,
        name="lift_suppression",
    ),
]
