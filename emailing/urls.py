from django.urls import path

from emailing import views

app_name = "emailing"

urlpatterns = [
    path("email/", views.email_settings_view, name="settings"),
    path(
        "email/suppressions/<int:pk>/lift/",
        views.lift_suppression_view,
        name="lift_suppression",
    ),
]
