"""Let a browser follow the redirect to an app after the forms of its sign-in.

The site's CSP says `form-action 'self'`, and Chrome applies it to every redirect that
follows a form POST: after the sign-in form (or the second step, or the consent page)
answers with a redirect that ends at the app, the browser would stop. While the session
holds an authorization request that was validated (a registered app, one of its
registered redirect URIs), its pages add that redirect URI's origin to `form-action`.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from core.security import CONTENT_SECURITY_POLICY

APP_ORIGINS_KEY = "hygate.oidc.app_origins"
MAX_ORIGINS = 5


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def allow_app_origin(request: HttpRequest, redirect_uri: str) -> None:
    """Remember, for this session's pages, the origin a pending authorization redirects to."""
    origin = origin_of(redirect_uri)
    origins = [o for o in request.session.get(APP_ORIGINS_KEY, []) if o != origin]
    request.session[APP_ORIGINS_KEY] = [*origins, origin][-MAX_ORIGINS:]


def forget_app_origins(request: HttpRequest) -> None:
    """Drop the origins once the authorization has answered the app."""
    request.session.pop(APP_ORIGINS_KEY, None)


def policy_allowing(origins: list[str]) -> str:
    """Return the site's CSP with form-action also allowing these origins."""
    if not origins:
        return CONTENT_SECURITY_POLICY
    allowed = " ".join(o for o in origins if _is_plain_origin(o))
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {allowed}")


def _is_plain_origin(origin: str) -> bool:
    # Only what origin_of() makes from a validated redirect URI: no spaces, quotes or ';'.
    return not any(c in origin for c in " ;'\",\n\r")


class AppRedirectFormActionMiddleware:
    """Widen `form-action` to the pending authorization's app origin, on this session's pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or "Content-Security-Policy" in response.headers:
            return response
        origins = session.get(APP_ORIGINS_KEY)
        if origins:
            response.headers["Content-Security-Policy"] = policy_allowing(origins)
        return response
