from django.urls import path

from oidc import views

app_name = "oidc"

urlpatterns = [
    path("", views.app_list_view, name="apps"),
    path("new/", views.app_new_view, name="app_new"),
    path("<int:pk>/", views.app_edit_view, name="app_edit"),
    path("<int:pk>/registered/", views.app_registered_view, name="app_registered"),
    path("<int:pk>/secret/", views.app_secret_view, name="app_secret"),
    path("<int:pk>/delete/", views.app_delete_view, name="app_delete"),
]
