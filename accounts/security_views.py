"""The user's security page (/accounts/security/) and Settings -> Security.

Every change on the security page first asks for the password again (step-up, valid
5 minutes); the flows in accounts.flows.two_factor do the work and e-mail the notices.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import recovery, sessions
from accounts.flows import (
    app_setup,
    disown_authenticator,
    reauthentication,
    reenrolment,
    two_factor,
)
from accounts.forms import CodeForm, in_words
from accounts.security_forms import (
    ERRORS,
    POLICY_HELP,
    SecurityPolicyForm,
    StepUpForm,
    TotpCodeForm,
)
from accounts.views import refused_code, tell_send_outcome
from audit.events import recent_for
from core.access import settings_permission_required
from core.ratelimit import consume, rate_limit, release, too_many_requests
from core.redirects import requested_next
from twofactor import trust  # trust
from twofactor.models import SecurityPolicy


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
@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    """Show the user's two-factor methods and the changes they can make."""
    user = request.user
    authenticator = two_factor.active_authenticator(user)
    policy = two_factor.current_policy()
    return render(
        request,
        "accounts/security.html",
        {
            "authenticator": authenticator,
            "recovery_left": recovery.remaining(user) if authenticator else 0,
            "policy": policy,
            "policy_help": POLICY_HELP[policy],
            "step_up_left": reauthentication.seconds_left(request),
            "sessions": sessions.active_sessions(request),
            "trusted_browsers": trust.listed(request),  # trust
            "events": recent_for(user),
        },
    )


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
        outcome, wait = reauthentication.reauthenticate(
            request,
            form.cleaned_data["password"],
            form.cleaned_data.get("code", ""),
            form.cleaned_data.get("recovery_code", ""),
        )
        if outcome is reauthentication.Outcome.PASSED:
            release(request, "reauthenticate", key=email)
            return redirect(_back_to(request))
        if outcome is reauthentication.Outcome.WRONG_PASSWORD:
            form.add_error("password", ERRORS["wrong_password"])
        else:
            key = outcome.value
            if with_email_code and outcome is reauthentication.Outcome.CODE_NEEDED:
                key = "email_code_needed"
            form.add_error("code", ERRORS[key].format(when=in_words(wait)))
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


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def authenticator_view(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: the QR code and the key at once, then one code from it."""
    user = request.user
    if two_factor.active_authenticator(user) is not None:
        messages.info(request, "Your authenticator app is already set up.")
        return redirect("accounts:security")
    if reenrolment.needs_inbox_code(request):
        return redirect("accounts:security_reenrol")
    action = request.POST.get("action")
    if request.method == "POST" and action == "start":
        app_setup.start(request)
        return redirect("accounts:security_authenticator")
    form = TotpCodeForm(request.POST if action == "confirm" else None)
    if request.method == "POST" and action == "confirm" and form.is_valid():
        codes = two_factor.confirm_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            reenrolment.finish(request)
            app_setup.finish(request)
            sessions.note_second_step(request, two_factor.Method.TOTP.value)
            messages.success(request, "Your authenticator app is set up.")
            return _show_recovery_codes(request, codes)
        form.add_error("code", ERRORS["code_refused"])
    return render(
        request,
        "accounts/security_authenticator.html",
        {"enrolment": app_setup.current(request), "form": form},
        status=400 if form.errors else 200,
    )


@sensitive_post_parameters("code")
@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
@rate_limit("verify")
def reenrol_view(request: HttpRequest) -> HttpResponse:
    """A code e-mailed to the account before its first app is set up (or one after a reset)."""
    if not reenrolment.needs_inbox_code(request):
        return redirect("accounts:security_authenticator")
    action = request.POST.get("action")
    form = CodeForm(request.POST if action == "verify" else None)
    process = reenrolment.resume(request)
    if request.method == "GET":
        form.take_carried_errors(request, "accounts:security_reenrol")
    if request.method == "POST" and action == "send":
        tell_send_outcome(request, reenrolment.send_code(request), request.user.email)
        return redirect("accounts:security_reenrol")
    if request.method == "POST" and action == "verify" and process and form.is_valid():
        result = reenrolment.check(request, process, form.cleaned_data["code"])
        if result.accepted:
            return redirect("accounts:security_authenticator")
        form.add_check_error(result.outcome, result.attempts_left, result.wait_seconds)
        # Shown after a redirect (303): a reload then spends no try.
        return refused_code(request, form, "accounts:security_reenrol")
    return render(
        request,
        "accounts/security_reenrol.html",
        {
            "form": form,
            "waiting": process is not None,
            "expires_minutes": int(reenrolment.CODE_LIFETIME.total_seconds() // 60),
            "wait": process.seconds_until_resend() if process else 0,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("verify")
def authenticator_undo_view(request: HttpRequest, token: str) -> HttpResponse:
    """From the notice of a new app: confirm (POST) to remove it and end every session."""
    if request.method == "POST":
        removed = disown_authenticator.disown(request, token)
        return render(
            request,
            "accounts/security_authenticator_undo_done.html",
            {"removed": removed},
            status=200 if removed else 400,
        )
    authenticator = disown_authenticator.pending(token)
    return render(
        request,
        "accounts/security_authenticator_undo.html",
        {"authenticator": authenticator},
        status=200 if authenticator else 400,
    )


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def remove_authenticator_view(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator app and its recovery codes, after a confirming POST."""
    user = request.user
    if two_factor.active_authenticator(user) is None:
        return redirect("accounts:security")
    if request.method == "POST":
        two_factor.remove_authenticator(user)
        messages.success(request, "Your authenticator app and its recovery codes were removed.")
        return redirect("accounts:security")
    return render(
        request,
        "accounts/security_remove.html",
        {"required": two_factor.current_policy() == SecurityPolicy.TwoFactor.TOTP},
    )


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes with ten new ones, shown once."""
    user = request.user
    if two_factor.active_authenticator(user) is None:
        return redirect("accounts:security")
    if request.method == "POST":
        codes = two_factor.regenerate_recovery_codes(user)
        messages.success(request, "New recovery codes were made. The old ones no longer work.")
        return _show_recovery_codes(request, codes)
    return render(
        request, "accounts/security_recovery_codes.html", {"left": recovery.remaining(user)}
    )


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Rendered in the response to the POST itself (never_cache: no-store), so the plain
    # codes are stored nowhere, not even in the session.
    return render(request, "accounts/security_codes_shown.html", {"codes": codes})


@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(SecurityPolicy)
def security_settings_view(request: HttpRequest) -> HttpResponse:
    """Settings -> Security: the site's two-factor policy."""
    saved = SecurityPolicy.load()
    form = SecurityPolicyForm(
        request.POST or None, initial={"two_factor_policy": saved.two_factor_policy}
    )
    if request.method == "POST" and form.is_valid():
        policy = form.cleaned_data["two_factor_policy"]
        before = two_factor.set_policy(policy, request.user)
        labels = dict(SecurityPolicy.TwoFactor.choices)
        messages.success(
            request,
            f"Two-factor policy saved: {labels[policy]}"
            + (f" (was {labels[before]})." if before != policy else " (unchanged)."),
        )
        return redirect("security_settings")
    return render(
        request,
        "settings/security.html",
        {
            "form": form,
            "saved": saved,
            "can_change": request.user.has_perm("twofactor.change_securitypolicy"),
            "staff_require_totp": settings.HYGATE_STAFF_REQUIRE_TOTP,
            # Each policy as a radio button with a hint that says what it means.
            "policies": [
                (value, label, POLICY_HELP[value])
                for value, label in SecurityPolicy.TwoFactor.choices
            ],
            "chosen": form["two_factor_policy"].value() or saved.two_factor_policy,
        },
        status=400 if form.errors else 200,
    )
