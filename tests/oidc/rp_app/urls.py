"""Hygate's URLs, plus a small Django app that signs in with mozilla-django-oidc under /rp/."""

from django.http import HttpResponse
from django.urls import include, path

from hygate.urls import urlpatterns as hygate_urlpatterns


def home(request):
    who = request.user.email if request.user.is_authenticated else "nobody"
    return HttpResponse(f"RP home: {who}", content_type="text/plain")


urlpatterns = [
    path("rp/oidc/", include("mozilla_django_oidc.urls")),
    path("rp/home/", home, name="rp_home"),
    *hygate_urlpatterns,
]
