"""The member's own account pages: password, e-mail address and profile.

Each view reads its form and calls a flow (accounts.flows.password_change,
accounts.flows.email_change); changes to how the account signs in pass the step-up first.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.codes import CodeCheck
from accounts.flows import email_change, password_change, reauthentication
from accounts.forms import (
    ERRORS,
    STEP_UP_ERRORS,
    CodeForm,
    EmailChangeForm,
    PasswordChangeForm,
    ProfileForm,
    SetNewPasswordForm,
    in_words,
)
from accounts.models import User
from accounts.security_views import step_up_required
from accounts.views import refused_code, tell_send_outcome
from audit.events import Action, record
from core.ratelimit import consume, rate_limit, release, too_many_requests


@sensitive_post_parameters(
    "current_password", "new_password1", "new_password2", "code", "recovery_code"
)
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    """Change the password: the current one (and second factor), then the new one twice.

    A step-up in this session within its 5 minutes already proved the current password
    (and second factor), so the page then asks for the new password only; a right current
    password given here opens that window too, so a mismatch of the new passwords, or the
    address change that follows, does not ask for it again. The current password is
    counted against the limit before the slow hash, like a sign-in, and a right one gives
    its count back.
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
    if reauthentication.is_recent(request):
        return _choose_new_password(request, _new_password_form(user, request.POST or None))
    with_code = reauthentication.needs_second_factor(user)
    form = PasswordChangeForm(user, request.POST or None, with_second_factor=with_code)
    if request.method == "POST" and not form.is_valid() and _identity_refused_as_typed(form):
        return _password_change_page(request, form, with_code)
    if request.method == "POST":
        if wait := consume(request, "password_change", key=user.email):
            return too_many_requests(request, wait)
        code = form.cleaned_data.get("code", "")
        result = reauthentication.confirm_identity(
            request,
            form.cleaned_data["current_password"],
            code,
            form.cleaned_data.get("recovery_code", ""),
        )
        if result.accepted:
            release(request, "password_change", key=user.email)
            # Only the new passwords can still be wrong: they alone are asked again.
            new = _new_password_form(user, request.POST)
            changed = _change_password(request, new) if new.is_valid() else None
            # Opened after the change: ending the other sessions goes by this session's key
            # as its row still knows it, and opening the window gives it a new one.
            reauthentication.open_window(request, with_email_code=False, with_app_code=bool(code))
            return changed or _password_change_page(request, new, False, confirmed=True)
        if result.outcome is CodeCheck.WRONG_PASSWORD:
            form.add_error("current_password", ERRORS["wrong_password"])
        else:
            message = STEP_UP_ERRORS[result.outcome.value]
            form.add_error("code", message.format(when=in_words(result.wait_seconds)))
    return _password_change_page(request, form, with_code)


def _identity_refused_as_typed(form: PasswordChangeForm) -> bool:
    # A current password or code that is missing or malformed is not worth a check.
    return any(form.has_error(name) for name in ("current_password", "code", "recovery_code"))


def _new_password_form(user: User, data: QueryDict | None) -> SetNewPasswordForm:
    form = SetNewPasswordForm(user, data)
    # The same words as the full form's, so the page does not change its labels midway.
    form.fields["new_password2"].label = PasswordChangeForm.base_fields["new_password2"].label
    return form


def _choose_new_password(request: HttpRequest, form: SetNewPasswordForm) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        return _change_password(request, form)
    return _password_change_page(request, form, False, confirmed=True)


def _change_password(request: HttpRequest, form: SetNewPasswordForm) -> HttpResponse:
    ended = password_change.change_password(request, form.cleaned_data["new_password1"])
    others = f" Other sessions signed out: {ended}." if ended else ""
    messages.success(request, f"Your password was changed.{others}")
    return redirect("accounts:security")


def _password_change_page(
    request: HttpRequest,
    form: PasswordChangeForm | SetNewPasswordForm,
    with_code: bool,
    *,
    confirmed: bool = False,
) -> HttpResponse:
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "with_code": with_code,
            "confirmed": confirmed,
            "step_up_left": reauthentication.seconds_left(request),
        },
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
    if request.method == "GET":
        form.take_carried_errors(request, "accounts:email_change_confirm")
    if request.method == "POST" and form.is_valid():
        # A refused code is shown after a redirect (303): a reload then spends no try.
        result, check = email_change.confirm(request, process, form.cleaned_data["code"])
        if result is email_change.Result.CHANGED:
            # The process names the new address; request.user was loaded before the change.
            messages.success(
                request, f"Your e-mail address is now {process.email}. Sign in with it."
            )
            return redirect("accounts:security")
        if result is email_change.Result.REFUSED:
            form.add_check_error(check.outcome, check.attempts_left, check.wait_seconds)
            return refused_code(request, form, "accounts:email_change_confirm")
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
