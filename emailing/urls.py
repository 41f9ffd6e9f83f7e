from django.urls import path

from emailing import views

app_name = "emailing"

urlpatterns = [
    path("email/", views.email_settings_view, name="settings"),
]
