"""Account pages: each view reads its form and calls a flow."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import device
from accounts.codes import SendRefusal
from accounts.flows import login as login_flow
from accounts.flows import password_reset, signup, verification
from accounts.forms import (
    ERRORS,
    SEND_REFUSALS,
    LoginForm,
    PageForm,
    PasswordResetRequestForm,
    SetNewPasswordForm,
    SignupForm,
    VerificationCodeForm,
    in_words,
)
from accounts.process import SendOutcome
from core.ratelimit import consume, rate_limit, release, too_many_requests
from core.redirects import REDIRECT_FIELD_NAME, requested_next

SEND_FAILED = "We could not send the e-mail. Please try again in a moment with “Send a new code”."


def tell_send_outcome(
    request: HttpRequest,
    outcome: SendOutcome | None,
    email: str = "",
    *,
    none_waiting: bool = False,
) -> None:
    """Say on the next page what became of the code that was asked for.

    Without `email` (a code sent on the way, not asked for), a cooldown goes unsaid: the
    code sent a moment ago is still good. With `none_waiting` (a second step without a
    code of its own), a refusal does not point at an older code.
    """
    if outcome is None or (not email and outcome.refused is SendRefusal.COOLDOWN):
        return
    if outcome.failed:
        messages.error(request, SEND_FAILED)
    elif outcome.refused:
        refusal = outcome.refused.value
        if none_waiting and outcome.refused is SendRefusal.QUOTA:
            refusal = "quota_none_waiting"
        message = SEND_REFUSALS[refusal].format(when=in_words(outcome.claim.wait_seconds))
        messages.warning(request, message)
    elif email:
        messages.success(request, f"We sent a new code to {email}.")


def tell_next_step(request: HttpRequest, step: login_flow.NextStep) -> HttpResponse:
    """Go to a sign-in's next page, saying what became of the code it e-mailed on the way."""
    tell_send_outcome(request, step.sent, none_waiting=step.url == reverse("accounts:login_2fa"))
    return redirect(step.url)


def refused_code(request: HttpRequest, form: PageForm, page: str) -> HttpResponse:
    """Show a refused code's error on the page after a redirect (303), so a reload is a GET.

    Reloading then never posts the code again: it spends no try and asks nothing.
    """
    form.carry_errors(request, page)
    response = HttpResponseRedirect(reverse(page))
    response.status_code = 303
    return response


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("signup")
def signup_view(request: HttpRequest) -> HttpResponse:
    """Open an account: e-mail, optional name, password; then the code page."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        if wait := consume(request, "signup_address", key=form.cleaned_data["email"]):
            return too_many_requests(request, wait)
        outcome = signup.sign_up(
            request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            name=form.cleaned_data["name"],
            next_url=requested_next(request),
        )
        tell_send_outcome(request, outcome)
        return redirect("accounts:verify")
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "next": requested_next(request)},
        status=400 if form.errors else 200,
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("verify")
def verify_view(request: HttpRequest) -> HttpResponse:
    """Take the code from the e-mail; the right one signs the user in."""
    process = verification.resume(request)
    if process is None:
        messages.info(request, "Sign in to get a new verification code.")
        return redirect("accounts:login")
    form = VerificationCodeForm(request.POST or None, initial={"email": process.email})
    if request.method == "GET":
        form.take_carried_errors(request, "accounts:verify")
    if request.method == "POST" and form.is_valid():
        if not form.is_for(process.email):
            form.refuse_other_address(process.email)
            return refused_code(request, form, "accounts:verify")
        result, user = verification.check(request, process, form.cleaned_data["code"])
        if user is not None:
            messages.success(request, "Your e-mail address is confirmed. Welcome to Hygate.")
            step = login_flow.begin(
                request, user, process.next_url, inbox_proven=True, remember=process.remember
            )
            return tell_next_step(request, step)
        form.add_check_error(result.outcome, result.attempts_left, result.wait_seconds)
        return refused_code(request, form, "accounts:verify")
    resend_wait = process.seconds_until_resend()
    return render(
        request,
        "accounts/verify.html",
        {
            "form": form,
            "email": process.email,
            "expires_minutes": int(verification.CODE_LIFETIME.total_seconds() // 60),
            "wait": resend_wait,
            "wait_words": in_words(resend_wait),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_POST
@rate_limit("verify_resend")
def verify_resend_view(request: HttpRequest) -> HttpResponse:
    """Send a new verification code, as the account's cooldown and quota allow."""
    process = verification.resume(request)
    if process is None:
        return redirect("accounts:login")
    tell_send_outcome(request, process.send_code(), process.email)
    return redirect("accounts:verify")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("login")
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with e-mail and password.

    A failed password is counted before the slow hash runs, so guesses sent at once cannot
    all slip under the limit; a right one gives its count back. A browser holding the
    account's device cookie is counted apart from everyone else.
    """
    form = LoginForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "GET":
        form.take_carried_errors(request, "accounts:login")  # a refused passkey
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        device_id = device.trusted_device(request, email)
        action, key = ("login_failed_device", device_id) if device_id else ("login_failed", email)
        if wait := consume(request, action, key=key):
            return too_many_requests(request, wait)
        user = login_flow.authenticate_by_password(request, email, form.cleaned_data["password"])
        if user is not None:
            release(request, action, key=key)
            step = login_flow.begin(
                request, user, requested_next(request), remember=form.cleaned_data["remember"]
            )
            return tell_next_step(request, step)
        form.add_error(None, ERRORS["invalid_login"])
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": requested_next(request), "redirect_field": REDIRECT_FIELD_NAME},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out on POST; a GET only asks for confirmation, so a link cannot sign anyone out."""
    if request.method == "POST":
        logout(request)
        messages.info(request, "You have signed out.")
        return redirect("accounts:login")
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/logout.html")


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("password_reset")
def password_reset_view(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; every address gets the same answer."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if wait := consume(request, "password_reset_address", key=form.cleaned_data["email"]):
            return too_many_requests(request, wait)
        password_reset.request_password_reset(request, form.cleaned_data["email"])
        return redirect("accounts:password_reset_done")
    return render(
        request, "accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200
    )


def password_reset_done_view(request: HttpRequest) -> HttpResponse:
    """Tell the visitor to check their inbox."""
    return render(request, "accounts/password_reset_done.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset-link view: the link works once, for an hour, and never signs in."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetNewPasswordForm
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        password_reset.finish_password_reset(self.request, form.user)
        messages.success(
            self.request, "Your password has been changed. Sign in with your new password."
        )
        return response
