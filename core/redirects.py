"""Where to send a user next, without ever leaving this site."""

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

REDIRECT_FIELD_NAME = "next"


def is_safe_next(request: HttpRequest, candidate: str | None) -> bool:
    """Say whether candidate is a path on this site.

    Only paths count: `welcome` would be taken for a URL name by redirect(), and a full
    URL is never needed to come back to a page of ours.
    """
    return (
        bool(candidate)
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )


def safe_next_url(request: HttpRequest, candidate: str | None, default: str = "dashboard") -> str:
    """Return candidate if it is a path on this site, else the default URL."""
    return candidate if is_safe_next(request, candidate) else resolve_url(default)


def requested_next(request: HttpRequest) -> str:
    """Return the safe `next` of this request (POST first, then GET), or an empty string."""
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    return candidate if is_safe_next(request, candidate) else ""
