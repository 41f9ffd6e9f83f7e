"""Response headers that every page sends."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# No inline scripts or styles anywhere: pages, e-mail previews and the admin load only
# files served from this origin (the QR code of a later issue is an inline data: image).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Add a Content-Security-Policy header unless a view set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """Answer a request body larger than Django would read with a friendly 413 page.

    Django itself refuses form data above DATA_UPLOAD_MAX_MEMORY_SIZE with a 400, but only
    once a view reads it; checking the declared length first answers before anything does.
    A body sent without a length still meets Django's own limit (400, templates/400.html).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return render(
                request, "errors/413.html", {"limit_mb": round(limit / 1e6, 1)}, status=413
            )
        return self.get_response(request)
