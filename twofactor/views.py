"""Two-factor pages: the sign-in's second step and the set-up of a required app.

The second step runs inside the pending sign-in (accounts.flows.login), one handler per
action; the security page and Settings -> Security are in twofactor.security_views.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.codes import CodeCheck
from accounts.flows import login as login_flow
from accounts.forms import in_words
from accounts.models import User
from accounts.views import refused_code, tell_send_outcome
from core.ratelimit import rate_limit
from core.redirects import requested_next
from twofactor import (
    authenticators,
    policy,
    recovery_codes,
    signin_step,
    trust,
)
from twofactor.forms import ERRORS as SECURITY_ERRORS
from twofactor.forms import (
    RecoveryCodeForm,
    SecondStepCodeForm,
    TotpCodeForm,
)


def _pending_user(request: HttpRequest):
    """The pending sign-in of this session and its user, or (None, None) when there is none."""
    pending = login_flow.get_pending(request)
    user = pending.user() if pending is not None else None
    if pending is None or user is None or "requirement" not in pending.state:
        login_flow.cancel(request)
        return None, None
    return pending, user


def _sign_in_again(request: HttpRequest) -> HttpResponse:
    messages.info(request, "Your sign-in has ended or timed out. Please sign in again.")
    return redirect("accounts:login")


@sensitive_post_parameters("code", "recovery_code")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("two_factor")
def login_2fa_view(request: HttpRequest) -> HttpResponse:
    """The second step: an e-mailed or authenticator code, or a recovery code."""
    pending, user = _pending_user(request)
    if pending is None:
        return _sign_in_again(request)
    action = request.POST.get("action", "verify") if request.method == "POST" else ""
    code_form = SecondStepCodeForm(
        request.POST if action == "verify" else None, initial={"email": user.email}
    )
    recovery_form = RecoveryCodeForm(request.POST if action == "recovery" else None)
    if request.method == "GET":
        code_form.take_carried_errors(request, "accounts:login_2fa")
        recovery_form.take_carried_errors(request, "accounts:login_2fa")
    handler = SECOND_STEP_ACTIONS.get(action) if request.method == "POST" else None
    response = (
        handler(_SecondStep(request, pending, user, code_form, recovery_form)) if handler else None
    )
    if response is not None:
        return response
    if recovery_form.errors:
        code_form.drop_autofocus()  # focus belongs to the recovery code's error
    method = pending.state.get("method")
    resend_wait = signin_step.seconds_until_resend(user) if method == "email" else 0
    return render(
        request,
        "twofactor/login_2fa.html",
        {
            "form": code_form,
            "recovery_form": recovery_form,
            "method": method,
            "other_methods": [
                m for m in signin_step.methods(pending) if m not in (method, "recovery")
            ],
            "recovery_accepted": "recovery" in pending.state.get("accepted", []),
            "enrolling": signin_step.needs_enrolment(pending),
            "email": user.email,
            "next": pending.next_url,
            "code_waiting": method != "email" or signin_step.code_is_waiting(request, user),
            "expires_minutes": signin_step.CODE_LIFETIME.seconds // 60,
            "locked": in_words(wait) if (wait := signin_step.seconds_locked(user)) else "",
            "wait": resend_wait,
            "wait_words": in_words(resend_wait),
        },
        status=400 if code_form.errors or recovery_form.errors else 200,
    )


@dataclass
class _SecondStep:
    """One POST of the second step: the pending sign-in, its user and the forms typed in."""

    request: HttpRequest
    pending: login_flow.PendingSignIn
    user: User
    code_form: SecondStepCodeForm
    recovery_form: RecoveryCodeForm


def _cancel(step: _SecondStep) -> HttpResponse:
    next_url = step.pending.next_url  # an app's sign-in, say: signing in again goes on to it
    login_flow.cancel(step.request)
    messages.info(step.request, "Sign-in cancelled.")
    if next_url:
        return redirect_to_login(next_url, reverse("accounts:login"))
    return redirect("accounts:login")


def _resend(step: _SecondStep) -> HttpResponse:
    waiting = signin_step.code_is_waiting(step.request, step.user)
    outcome = signin_step.send_new_code(step.request, step.pending, step.user)
    tell_send_outcome(step.request, outcome, step.user.email, none_waiting=not waiting)
    return redirect("accounts:login_2fa")


def _switch(step: _SecondStep) -> HttpResponse:
    method = step.request.POST.get("method", "")
    outcome = signin_step.switch_method(step.request, step.pending, step.user, method)
    tell_send_outcome(step.request, outcome, none_waiting=True)
    return redirect("accounts:login_2fa")


def _verify(step: _SecondStep) -> HttpResponse | None:
    form, user = step.code_form, step.user
    if not form.is_valid():
        return None
    if not form.is_for(user.email):
        form.refuse_other_address(user.email, code="other_account")
        return refused_code(step.request, form, "accounts:login_2fa")
    result = signin_step.check_code(step.request, step.pending, user, form.cleaned_data["code"])
    if result.accepted:
        trust.wish(step.pending, form.cleaned_data["trust_browser"])
        return redirect(signin_step.pass_second_factor(step.request, step.pending, user))
    form.add_check_error(
        _second_step_error(step.pending, result.outcome), result.attempts_left, result.wait_seconds
    )
    return refused_code(step.request, form, "accounts:login_2fa")


def _recovery(step: _SecondStep) -> HttpResponse | None:
    form, user = step.recovery_form, step.user
    if not form.is_valid():
        return None
    result = signin_step.use_recovery_code(step.pending, user, form.cleaned_data["recovery_code"])
    if result.accepted:
        trust.wish(step.pending, form.cleaned_data["trust_browser"])
        left = recovery_codes.remaining(user)
        messages.warning(
            step.request,
            f"You signed in with a recovery code. {left} of them are left; make new ones "
            "on the Security page if you are running out.",
        )
        return redirect(signin_step.pass_second_factor(step.request, step.pending, user))
    message = (
        SECURITY_ERRORS["second_step_locked"].format(when=in_words(result.wait_seconds))
        if result.outcome is CodeCheck.LOCKED
        else SECURITY_ERRORS["recovery_refused"]
    )
    form.add_error("recovery_code", message)
    return refused_code(step.request, form, "accounts:login_2fa")


# What each button of the second step does; None shows the page with the form's errors.
SECOND_STEP_ACTIONS: dict[str, Callable[[_SecondStep], HttpResponse | None]] = {
    "cancel": _cancel,
    "resend": _resend,
    "switch": _switch,
    "verify": _verify,
    "recovery": _recovery,
}


def _second_step_error(pending, outcome: str) -> str:
    if outcome == "locked":
        return "second_step_locked"
    if outcome == "incorrect" and pending.state.get("method") == "totp":
        return "code_refused"
    return outcome


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("two_factor")
def login_enrol_view(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app that the site requires, inside the pending sign-in."""
    pending, user = _pending_user(request)
    if pending is None:
        return _sign_in_again(request)
    if not signin_step.may_enrol(pending):
        return redirect("accounts:login_2fa")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = authenticators.confirm_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            landing = signin_step.finish_after_enrolment(request, pending, user)
            return render(
                request, "twofactor/login_enrolled.html", {"codes": codes, "landing": landing}
            )
        form.add_error("code", SECURITY_ERRORS["code_refused"])
    enrolment = authenticators.pending_enrolment(user)
    if enrolment is None:  # set up meanwhile (or removed) elsewhere
        login_flow.cancel(request)
        if policy.active_authenticator(user) is not None:
            messages.info(request, "An authenticator app is already set up. Sign in again with it.")
            return redirect("accounts:login")
        return _sign_in_again(request)
    return render(
        request,
        "twofactor/login_enrol.html",
        {"form": form, "enrolment": enrolment},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_required_view(request: HttpRequest) -> HttpResponse:
    """Explain that staff pages need a sign-in with the app; POST signs out to sign in again."""
    next_url = requested_next(request)
    if request.method == "POST":
        logout(request)
        return redirect_to_login(next_url or reverse("admin:index"))
    if not request.user.is_authenticated:
        return redirect_to_login(next_url or reverse("admin:index"))
    return render(
        request,
        "twofactor/app_required.html",
        {"next": next_url, "has_app": policy.active_authenticator(request.user) is not None},
    )
