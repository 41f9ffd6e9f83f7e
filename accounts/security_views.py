"""The step-up (/accounts/security/password/) and the user's sessions on the security page.

Every change on the security page first asks for the password again, and the second
factor the user's sign-in asks for (accounts.flows.reauthentication, valid 5 minutes).
The security page itself, and its two-factor changes, are twofactor's (twofactor.security_views).
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import sessions
from accounts.codes import CodeCheck
from accounts.flows import (
    reauthentication,
)
from accounts.forms import STEP_UP_ERRORS as ERRORS
from accounts.forms import StepUpForm, in_words
from accounts.views import tell_send_outcome
from core.ratelimit import consume, release, too_many_requests
from core.redirects import requested_next


def step_up_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send a user who has not given their password in the last 5 minutes to give it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not reauthentication.is_recent(request):
            query = urlencode({"next": request.path})
            return redirect(f"{reverse('accounts:security_reauthenticate')}?{query}")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _back_to(request: HttpRequest) -> str:
    """Return the page behind the step-up the user was on, never a page elsewhere."""
    candidate = requested_next(request)
    home = reverse("accounts:security")
    allowed = (home, reverse("accounts:email_change"), reverse("accounts:password_change"))
    return candidate if candidate.startswith(allowed) else home


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def end_session_view(request: HttpRequest, session_id: int) -> HttpResponse:
    """End one of the user's other sessions, after a confirming POST."""
    row = next(
        (s for s in sessions.active_sessions(request) if s.pk == session_id and not s.is_current),
        None,
    )
    if row is None:
        messages.info(request, "That session has already ended.")
        return redirect("accounts:security")
    if request.method == "POST":
        sessions.end_session(request, session_id)
        messages.success(request, "The session was ended. That browser is signed out.")
        return redirect("accounts:security")
    return render(request, "accounts/security_end_sessions.html", {"session": row})


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def end_other_sessions_view(request: HttpRequest) -> HttpResponse:
    """End every session of the user but this one, after a confirming POST."""
    if request.method == "POST":
        ended = sessions.end_other_sessions(request)
        messages.success(
            request,
            f"{ended} other session{'s' if ended != 1 else ''} ended. Only this one is left.",
        )
        return redirect("accounts:security")
    others = [s for s in sessions.active_sessions(request) if not s.is_current]
    return render(request, "accounts/security_end_sessions.html", {"others": others})


@sensitive_post_parameters("password", "code", "recovery_code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reauthenticate_view(request: HttpRequest) -> HttpResponse:
    """Ask for the password again (and the second factor) before a change to sign-in security."""
    with_code = reauthentication.needs_second_factor(request.user)
    with_email_code = reauthentication.needs_email_code(request.user)
    email = request.user.email
    if request.method == "POST" and with_email_code and request.POST.get("action") == "send":
        tell_send_outcome(request, reauthentication.send_code(request), email)
        return redirect(f"{reverse('accounts:security_reauthenticate')}?{_next_query(request)}")
    form = StepUpForm(
        request.POST or None, with_second_factor=with_code, with_email_code=with_email_code
    )
    if request.method == "POST" and form.is_valid():
        # Counted before the slow hash, so passwords sent at once cannot slip past the limit.
        if wait := consume(request, "reauthenticate", key=email):
            return too_many_requests(request, wait)
        result = reauthentication.reauthenticate(
            request,
            form.cleaned_data["password"],
            form.cleaned_data.get("code", ""),
            form.cleaned_data.get("recovery_code", ""),
        )
        if result.accepted:
            release(request, "reauthenticate", key=email)
            return redirect(_back_to(request))
        if result.outcome is CodeCheck.WRONG_PASSWORD:
            form.add_error("password", ERRORS["wrong_password"])
        else:
            key = result.outcome.value
            if with_email_code and result.outcome is CodeCheck.MISSING:
                key = "email_code_needed"
            form.add_error("code", ERRORS[key].format(when=in_words(result.wait_seconds)))
    waiting = reauthentication.code_waiting(request) if with_email_code else None
    return render(
        request,
        "accounts/security_reauthenticate.html",
        {
            "form": form,
            "next": _back_to(request),
            "with_code": with_code,
            "with_email_code": with_email_code,
            "code_sent": waiting is not None,
            "wait": waiting.seconds_until_resend() if waiting else 0,
        },
        status=400 if form.errors else 200,
    )


def _next_query(request: HttpRequest) -> str:
    return urlencode({"next": _back_to(request)})
