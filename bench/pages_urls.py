"""bench/pages.py's URLs for Hygate's server: all of Hygate's, and the bare form beside them.

/bench/bare/ renders bench/pages_bare.py's form through Hygate's settings and middleware,
which tells what the middleware costs apart from the pages' templates.
"""

from functools import cache

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path
from pages_bare import FORM


@cache
def _form():
    return engines["django"].from_string(FORM)


def bare_login(request: HttpRequest) -> HttpResponse:
    """Render the bare sign-in form."""
    return HttpResponse(_form().render({}, request))


urlpatterns = [
    path("bench/bare/", bare_login),
    path("", include("hygate.urls")),
]
