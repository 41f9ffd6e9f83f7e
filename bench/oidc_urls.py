"""bench/oidc.py's URLs: all of Hygate's, and a bare view beside them."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def bare(request: HttpRequest) -> JsonResponse:
    """Answer a small JSON object, as userinfo does, with nothing behind it."""
    return JsonResponse({"sub": "bare", "email": "bare@example.com"})


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("hygate.urls")),
]
