"""Staff pages need a session that passed the authenticator app while staff must use one.

Signing in records its second step in the session (accounts.sessions.note_second_step).
While staff must use an authenticator app (HYGATE_STAFF_REQUIRE_TOTP, or the site policy
`totp`), the admin and the settings pages open only for a session that passed the app: its
code, or one of its recovery codes (the app's own fallback); a passkey will count too. Any
other session, one that passed an e-mailed code or nothing (a member later made staff, a
session from before the rule), is sent to sign in again with the app, which sets one up
first when there is none. Registered with core.access by the accounts app.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts import sessions
from twofactor import policy
from twofactor.policy import Method, Policy

# a passkey counts as the app does.
APP_STEPS = frozenset({Method.TOTP.value, Method.RECOVERY.value, Method.PASSKEY.value})


def staff_must_use_app() -> bool:
    """Say whether staff must sign in with an authenticator app on this site."""
    return settings.HYGATE_STAFF_REQUIRE_TOTP or policy.current_policy() == Policy.TOTP


def passed_app(request: HttpRequest) -> bool:
    """Say whether this session passed the authenticator app (or one of its recovery codes)."""
    return sessions.second_step(request) in APP_STEPS


def lacks_app(request: HttpRequest) -> bool:
    """Say whether this signed-in session must still pass the app to open staff pages."""
    return request.user.is_authenticated and not passed_app(request) and staff_must_use_app()


def sign_in_with_app(next_url: str) -> HttpResponse:
    """Send the browser to the page that explains, and signs in again with the app."""
    return redirect(f"{reverse('accounts:app_required')}?{urlencode({'next': next_url})}")


def refuse_session_without_app(request: HttpRequest) -> HttpResponse | None:
    """Send a staff session that did not pass the app to sign in again with it, or None."""
    return sign_in_with_app(request.get_full_path()) if lacks_app(request) else None
