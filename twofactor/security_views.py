"""The security page's two-factor changes and Settings -> Security.

Every change first asks for the password again (the step-up, valid 5 minutes, in
accounts.security_views); the flows in twofactor do the work and e-mail the notices.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import sessions
from accounts.flows import reauthentication
from accounts.forms import CodeForm
from accounts.security_views import step_up_required
from accounts.views import refused_code, tell_send_outcome
from audit.events import recent_for
from core.access import settings_permission_required
from core.ratelimit import rate_limit
from twofactor import (
    app_setup,
    authenticators,
    disown,
    passkeys,
    policy,
    recovery_codes,
    reenrolment,
    trust,
)
from twofactor.forms import ERRORS as SECURITY_ERRORS
from twofactor.forms import (
    POLICY_HELP,
    SecurityPolicyForm,
    TotpCodeForm,
)
from twofactor.models import SecurityPolicy


@never_cache
@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    """Show the user's two-factor methods and the changes they can make."""
    user = request.user
    authenticator = policy.active_authenticator(user)
    in_force = policy.current_policy()
    return render(
        request,
        "twofactor/security.html",
        {
            "authenticator": authenticator,
            "recovery_left": recovery_codes.remaining(user) if authenticator else 0,
            "policy": in_force,
            "policy_help": POLICY_HELP[in_force],
            "step_up_left": reauthentication.seconds_left(request),
            "sessions": sessions.active_sessions(request),
            "trusted_browsers": trust.listed(request),
            "events": recent_for(user),
            "passkeys": passkeys.of(user) if passkeys.available() else None,
        },
    )


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def authenticator_view(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: the QR code and the key at once, then one code from it."""
    user = request.user
    if policy.active_authenticator(user) is not None:
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
        codes = authenticators.confirm_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            reenrolment.finish(request)
            app_setup.finish(request)
            sessions.note_second_step(request, policy.Method.TOTP.value)
            messages.success(request, "Your authenticator app is set up.")
            return _show_recovery_codes(request, codes)
        form.add_error("code", SECURITY_ERRORS["code_refused"])
    return render(
        request,
        "twofactor/security_authenticator.html",
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
        "twofactor/security_reenrol.html",
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
        removed = disown.disown(request, token)
        return render(
            request,
            "twofactor/security_authenticator_undo_done.html",
            {"removed": removed},
            status=200 if removed else 400,
        )
    authenticator = disown.pending(token)
    return render(
        request,
        "twofactor/security_authenticator_undo.html",
        {"authenticator": authenticator},
        status=200 if authenticator else 400,
    )


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def remove_authenticator_view(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator app and its recovery codes, after a confirming POST."""
    user = request.user
    if policy.active_authenticator(user) is None:
        return redirect("accounts:security")
    if request.method == "POST":
        authenticators.remove_authenticator(user)
        messages.success(request, "Your authenticator app and its recovery codes were removed.")
        return redirect("accounts:security")
    return render(
        request,
        "twofactor/security_remove.html",
        {"required": policy.current_policy() == SecurityPolicy.TwoFactor.TOTP},
    )


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes with ten new ones, shown once."""
    user = request.user
    if policy.active_authenticator(user) is None:
        return redirect("accounts:security")
    if request.method == "POST":
        codes = authenticators.regenerate_recovery_codes(user)
        messages.success(request, "New recovery codes were made. The old ones no longer work.")
        return _show_recovery_codes(request, codes)
    return render(
        request, "twofactor/security_recovery_codes.html", {"left": recovery_codes.remaining(user)}
    )


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Rendered in the response to the POST itself (never_cache: no-store), so the plain
    # codes are stored nowhere, not even in the session.
    return render(request, "twofactor/security_codes_shown.html", {"codes": codes})


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
        chosen = form.cleaned_data["two_factor_policy"]
        before = policy.set_policy(chosen, request.user)
        labels = dict(SecurityPolicy.TwoFactor.choices)
        messages.success(
            request,
            f"Two-factor policy saved: {labels[chosen]}"
            + (f" (was {labels[before]})." if before != chosen else " (unchanged)."),
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
