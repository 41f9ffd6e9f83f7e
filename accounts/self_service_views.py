"""The member's own account pages: password, e-mail address and profile.

Each view reads its form and calls a flow (accounts.flows.password_change,
accounts.flows.email_change); changes to how the account signs in pass the step-up first.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.flows import email_change, password_change, reauthentication
from accounts.forms import (
    ERRORS,
    CodeForm,
    EmailChangeForm,
    PasswordChangeForm,
    ProfileForm,
    in_words,
)
from accounts.security_forms import ERRORS as STEP_UP_ERRORS
from accounts.security_views import step_up_required
from accounts.views import tell_send_outcome
from audit.events import Action, record
from core.ratelimit import consume, rate_limit, release, too_many_requests

Outcome = reauthentication.Outcome


@sensitive_post_parameters(
    "current_password", "new_password1", "new_password2", "code", "recovery_code"
)
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    """Change the password: the current one (and second factor), then the new one twice.

    The current password is counted against the limit before the slow hash, like a
    sign-in, and a right one gives its count back.
    """
    user = request.user
    if reauthentication.needs_email_code(user) and not reauthentication.passed_with_email_code(
        request
    ):
        # The e-mailed code comes from the step-up page, which then brings the user back.
        return redirect(
            f"{reverse('accounts:security_reauthenticate')}?"
            f"{urlencode({'next': reverse('accounts:password_change')})}"
        )
    with_code = reauthentication.needs_second_factor(user)
    form = PasswordChangeForm(user, request.POST or None, with_second_factor=with_code)
    if request.method == "POST" and form.is_valid():
        if wait := consume(request, "password_change", key=user.email):
            return too_many_requests(request, wait)
        outcome, wait = reauthentication.confirm_identity(
            request,
            form.cleaned_data["current_password"],
            form.cleaned_data.get("code", ""),
            form.cleaned_data.get("recovery_code", ""),
        )
        if outcome is Outcome.PASSED:
            release(request, "password_change", key=user.email)
            ended = password_change.change_password(request, form.cleaned_data["new_password1"])
            others = f" Other sessions signed out: {ended}." if ended else ""
            messages.success(request, f"Your password was changed.{others}")
            return redirect("accounts:security")
        if outcome is Outcome.WRONG_PASSWORD:
            form.add_error("current_password", ERRORS["wrong_password"])
        else:
            form.add_error("code", STEP_UP_ERRORS[outcome.value].format(when=in_words(wait)))
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "with_code": with_code},
        status=400 if form.errors else 200,
    )


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def email_change_view(request: HttpRequest) -> HttpResponse:
    """Ask for a new address; a code goes to it (the page says the same for every address)."""
    form = EmailChangeForm(request.user, request.POST or None)
    allowed_at = email_change.next_change_allowed_at(request.user)
    if request.method == "POST" and allowed_at is not None:
        form.add_error(None, ERRORS["email_changed_recently"].format(when=date_format(allowed_at)))
    if request.method == "POST" and form.is_valid():
        if wait := consume(request, "email_change", key=str(request.user.pk)):
            return too_many_requests(request, wait)
        tell_send_outcome(request, email_change.start(request, form.cleaned_data["email"]))
        return redirect("accounts:email_change_confirm")
    return render(
        request,
        "accounts/email_change.html",
        {"form": form, "pending": email_change.resume(request), "allowed_at": allowed_at},
        status=400 if form.errors else 200,
    )


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("verify")
def email_change_confirm_view(request: HttpRequest) -> HttpResponse:
    """Take the code sent to the new address; the right one makes it the login."""
    process = email_change.resume(request)
    if process is None:
        messages.info(request, "No change of address is waiting. Start again here.")
        return redirect("accounts:email_change")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result, check = email_change.confirm(request, process, form.cleaned_data["code"])
        if result is email_change.Result.CHANGED:
            messages.success(
                request, f"Your e-mail address is now {request.user.email}. Sign in with it."
            )
            return redirect("accounts:security")
        if result is email_change.Result.REFUSED:
            form.add_check_error(check.outcome, check.attempts_left, check.wait_seconds)
        else:
            messages.error(request, ERRORS["email_taken_meanwhile"])
            return redirect("accounts:email_change")
    return render(
        request,
        "accounts/email_change_confirm.html",
        {
            "form": form,
            "new_email": process.email,
            "expires_minutes": int(email_change.CODE_LIFETIME.total_seconds() // 60),
            "wait": process.seconds_until_resend(),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_POST
@rate_limit("verify_resend")
def email_change_resend_view(request: HttpRequest) -> HttpResponse:
    """Send a new code to the new address, as the account's cooldown and quota allow."""
    process = email_change.resume(request)
    if process is None:
        return redirect("accounts:email_change")
    tell_send_outcome(request, process.send_code(), process.email)
    return redirect("accounts:email_change_confirm")


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("verify")
def email_change_undo_view(request: HttpRequest, token: str) -> HttpResponse:
    """From the notice to the old address: confirm (POST) to give the address back."""
    if request.method == "POST":
        result = email_change.undo(request, token)
        return render(
            request,
            "accounts/email_change_undo_done.html",
            {"result": result.value},
            status=200 if result is email_change.Result.CHANGED else 400,
        )
    user = email_change.pending_undo(token)
    data = email_change.read_undo_token(token) if user else None
    return render(
        request,
        "accounts/email_change_undo.html",
        {"old_email": data["old"] if data else "", "new_email": data["new"] if data else ""},
        status=200 if user else 400,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    """Change the display name."""
    user = request.user
    form = ProfileForm(request.POST or None, initial={"name": user.name})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["name"] != user.name:
            user.name = form.cleaned_data["name"]
            user.save(update_fields=["name"])
            record(request, Action.PROFILE_CHANGED, target=user, fields=["name"])
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200
    )
