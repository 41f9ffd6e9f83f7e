"""Account pages: each view reads its form and calls a flow."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import browser_trust, device  # trust: browser_trust
from accounts.codes import SendRefusal
from accounts.flows import login as login_flow
from accounts.flows import password_reset, second_factor, signup, two_factor, verification
from accounts.forms import (
    ERRORS,
    SEND_REFUSALS,
    LoginForm,
    PageForm,
    PasswordResetRequestForm,
    RecoveryCodeForm,
    SecondStepCodeForm,
    SetNewPasswordForm,
    SignupForm,
    VerificationCodeForm,
    in_words,
)
from accounts.process import SendOutcome
from accounts.security_forms import ERRORS as SECURITY_ERRORS
from accounts.security_forms import TotpCodeForm
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
    response = (
        _second_step_action(request, pending, user, action, code_form, recovery_form)
        if request.method == "POST"
        else None
    )
    if response is not None:
        return response
    if recovery_form.errors:
        code_form.drop_autofocus()  # focus belongs to the recovery code's error
    method = pending.state.get("method")
    resend_wait = second_factor.seconds_until_resend(user) if method == "email" else 0
    return render(
        request,
        "accounts/login_2fa.html",
        {
            "form": code_form,
            "recovery_form": recovery_form,
            "method": method,
            "other_methods": [
                m for m in second_factor.methods(pending) if m not in (method, "recovery")
            ],
            "recovery_accepted": "recovery" in pending.state.get("accepted", []),
            "enrolling": second_factor.needs_enrolment(pending),
            "email": user.email,
            "code_waiting": method != "email" or second_factor.code_is_waiting(request, user),
            "expires_minutes": second_factor.CODE_LIFETIME.seconds // 60,
            "locked": in_words(wait) if (wait := second_factor.seconds_locked(user)) else "",
            "wait": resend_wait,
            "wait_words": in_words(resend_wait),
        },
        status=400 if code_form.errors or recovery_form.errors else 200,
    )


def _second_step_action(
    request: HttpRequest,
    pending: login_flow.PendingSignIn,
    user,
    action: str,
    code_form: SecondStepCodeForm,
    recovery_form: RecoveryCodeForm,
) -> HttpResponse | None:
    """Do what a POST of the second step asks; None shows the page with the form's errors."""
    if action == "cancel":
        login_flow.cancel(request)
        messages.info(request, "Sign-in cancelled.")
        return redirect("accounts:login")
    if action == "resend":
        waiting = second_factor.code_is_waiting(request, user)
        outcome = second_factor.send_new_code(request, pending, user)
        tell_send_outcome(request, outcome, user.email, none_waiting=not waiting)
        return redirect("accounts:login_2fa")
    if action == "switch":
        method = request.POST.get("method", "")
        outcome = second_factor.switch_method(request, pending, user, method)
        tell_send_outcome(request, outcome, none_waiting=True)
        return redirect("accounts:login_2fa")
    if action == "verify" and code_form.is_valid():
        if not code_form.is_for(user.email):
            code_form.refuse_other_address(user.email, code="other_account")
            return refused_code(request, code_form, "accounts:login_2fa")
        result = second_factor.check_code(request, pending, user, code_form.cleaned_data["code"])
        if result.accepted:
            browser_trust.wish(pending, code_form.cleaned_data["trust_browser"])  # trust
            return redirect(login_flow.pass_second_factor(request, pending, user))
        code_form.add_check_error(
            _second_step_error(pending, result.outcome), result.attempts_left, result.wait_seconds
        )
        return refused_code(request, code_form, "accounts:login_2fa")
    if action == "recovery" and recovery_form.is_valid():
        outcome, number = second_factor.use_recovery_code(
            pending, user, recovery_form.cleaned_data["recovery_code"]
        )
        if outcome is second_factor.Outcome.PASSED:
            browser_trust.wish(pending, recovery_form.cleaned_data["trust_browser"])  # trust
            messages.warning(
                request,
                f"You signed in with a recovery code. {number} of them are left; make new ones "
                "on the Security page if you are running out.",
            )
            return redirect(login_flow.pass_second_factor(request, pending, user))
        message = (
            ERRORS["second_step_locked"].format(when=in_words(number))
            if outcome is second_factor.Outcome.LOCKED
            else ERRORS["recovery_refused"]
        )
        recovery_form.add_error("recovery_code", message)
        return refused_code(request, recovery_form, "accounts:login_2fa")
    return None


def _second_step_error(pending, outcome: str) -> str:
    if outcome == "locked":
        return "second_step_locked"
    if outcome == "incorrect" and pending.state.get("method") == "totp":
        return "totp_incorrect"
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
    if not login_flow.may_enrol(pending):
        return redirect("accounts:login_2fa")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            landing = login_flow.finish(request, pending, user)
            return render(
                request, "accounts/login_enrolled.html", {"codes": codes, "landing": landing}
            )
        form.add_error("code", SECURITY_ERRORS["code_refused"])
    enrolment = two_factor.pending_enrolment(user)
    if enrolment is None:  # set up meanwhile (or removed) elsewhere
        login_flow.cancel(request)
        if two_factor.active_authenticator(user) is not None:
            messages.info(request, "An authenticator app is already set up. Sign in again with it.")
            return redirect("accounts:login")
        return _sign_in_again(request)
    return render(
        request,
        "accounts/login_enrol.html",
        {"form": form, "enrolment": enrolment},
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
        "accounts/app_required.html",
        {"next": next_url, "has_app": two_factor.active_authenticator(request.user) is not None},
    )
