"""Passkey pages: sign in with one, use one as the second step, add, rename and remove.

The ceremonies run in static/hygate/passkeys.js: it asks a `.../options/` URL (POST, with
the form's CSRF token) for the options, lets the browser talk to the authenticator, and
posts the answer in the hidden `credential` field of an ordinary form. Without a script
(or without passkeys in the browser) nothing of this shows and the pages work as before.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.flows import login as login_flow
from accounts.forms import LoginForm, PageForm, validate_public_name
from accounts.security_views import step_up_required
from audit.events import Action, record
from core.ratelimit import rate_limit
from core.redirects import requested_next
from twofactor import disown, passkeys, signin_step
from twofactor.forms import SecondStepCodeForm
from twofactor.models import Passkey
from twofactor.passkeys import Ceremony, PasskeyRefused

# A credential is a few hundred bytes of JSON; more is not one.
CREDENTIAL_MAX_LENGTH = 16_000

REFUSALS = {
    "expired": "That passkey request timed out or was already used. Please try again.",
    "unknown": "That passkey is not registered here. Sign in with your password instead.",
    "invalid": "Your passkey could not be checked. Please try again.",
    "cloned": (
        "That passkey was refused: it looks like a copy of the key. We have told the "
        "account's owner by e-mail."
    ),
    "known": "That passkey is already registered.",
    "unavailable": "Passkeys are not available on this site's address.",
    "missing": "Your browser did not create a passkey. Try again, or use another browser.",
}
# At the second step the password was given already: nothing there sends the person back.
SECOND_STEP_REFUSALS = REFUSALS | {
    "unknown": "That passkey does not belong to this account. Use another passkey or method.",
}


class PasskeyNameForm(PageForm):
    name = forms.CharField(
        label="Name",
        max_length=passkeys.NAME_MAX_LENGTH,
        help_text="So you can tell your passkeys apart, such as “Work laptop”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Enter a name for the passkey."},
    )

    def clean_name(self) -> str:
        # Its notice quotes it: no link or number a stranger could plant in the owner's inbox.
        return validate_public_name(self.cleaned_data["name"])


def _credential(request: HttpRequest) -> str:
    credential = request.POST.get("credential", "")
    return credential if len(credential) <= CREDENTIAL_MAX_LENGTH else ""


def _unavailable() -> None:
    if not passkeys.available():
        raise Http404("Passkeys are not available on this site's address.")


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _refused(
    request: HttpRequest, form: type[PageForm], page: str, wordings: dict, code: str
) -> HttpResponse:
    """Back to the page the ceremony started on, whose error summary (focused) says why."""
    form.carry_error(request, page, wordings[code], f"passkey_{code}")
    return _see_other(reverse(page))


def _options(json_text: str) -> HttpResponse:
    # webauthn's options_to_json() already wrote the JSON.
    return HttpResponse(json_text, content_type="application/json")


# --- signing in without a password ---


@never_cache
@require_POST
@rate_limit("passkey")
def login_options_view(request: HttpRequest) -> HttpResponse:
    """The options of a passkey sign-in: a new challenge, and no credentials listed."""
    _unavailable()
    return _options(passkeys.authentication_options(request, Ceremony.SIGN_IN))


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("passkey")
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with a passkey: complete on its own, whatever the two-factor policy."""
    if request.method == "GET":
        return redirect("accounts:login")
    _unavailable()
    try:
        passkey = passkeys.authenticate(request, Ceremony.SIGN_IN, _credential(request))
    except PasskeyRefused as refused:
        return _refused(request, LoginForm, "accounts:login", REFUSALS, refused.code)
    user = passkey.user
    login_flow.cancel(request)
    landing = login_flow.complete(
        request,
        user,
        requested_next(request),
        first_step=passkeys.METHOD,
        second_step=passkeys.METHOD,
        remember=request.POST.get("remember") == "on",
    )
    record(request, Action.PASSKEY_SIGN_IN, actor=user, target=user, passkey=passkey.name)
    return redirect(landing)


# --- the second step, after a password ---


def _pending(request: HttpRequest):
    pending = login_flow.get_pending(request)
    user = pending.user() if pending is not None else None
    if user is None or passkeys.METHOD not in pending.state.get("accepted", []):
        return None, None
    return pending, user


@never_cache
@require_POST
@rate_limit("two_factor")
def second_step_options_view(request: HttpRequest) -> HttpResponse:
    """The options of a passkey second step: the signing-in user's passkeys."""
    _unavailable()
    pending, user = _pending(request)
    if pending is None:
        return JsonResponse({"error": "no_sign_in"}, status=400)
    return _options(passkeys.authentication_options(request, Ceremony.SECOND_STEP, user))


@never_cache
@require_POST
@rate_limit("two_factor")
def second_step_view(request: HttpRequest) -> HttpResponse:
    """Pass the second step with one of the signing-in user's passkeys."""
    _unavailable()
    pending, user = _pending(request)
    if pending is None:
        messages.info(request, "Your sign-in has ended or timed out. Please sign in again.")
        return redirect("accounts:login")
    try:
        passkeys.authenticate(request, Ceremony.SECOND_STEP, _credential(request), user)
    except PasskeyRefused as refused:
        return _refused(
            request, SecondStepCodeForm, "accounts:login_2fa", SECOND_STEP_REFUSALS, refused.code
        )
    pending.state["passed_with"] = passkeys.METHOD
    pending.save()
    return redirect(signin_step.pass_second_factor(request, pending, user))


# --- the security page: add, rename, remove ---


@never_cache
@step_up_required
@require_POST
@rate_limit("passkey")
def add_options_view(request: HttpRequest) -> HttpResponse:
    """The options of adding a passkey to the signed-in account."""
    _unavailable()
    return _options(passkeys.registration_options(request, request.user))


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
@rate_limit("passkey")
def add_view(request: HttpRequest) -> HttpResponse:
    """Add a passkey: a name, then the browser's passkey dialog (passkeys.js)."""
    _unavailable()
    form = PasskeyNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        credential = _credential(request)
        try:
            if not credential:
                raise PasskeyRefused("missing")
            passkey = passkeys.register(
                request, request.user, form.cleaned_data["name"], credential
            )
        except PasskeyRefused as refused:
            form.add_error(None, REFUSALS[refused.code])
        else:
            messages.success(request, f"Your passkey “{passkey.name}” was added.")
            return redirect("accounts:security")
    return render(
        request,
        "twofactor/passkey_add.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _own(request: HttpRequest, passkey_id: int) -> Passkey:
    return get_object_or_404(Passkey, pk=passkey_id, user=request.user)


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def rename_view(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Give a passkey another name."""
    passkey = _own(request, passkey_id)
    form = PasskeyNameForm(request.POST or None, initial={"name": passkey.name})
    if request.method == "POST" and form.is_valid():
        passkeys.rename(request, passkey, form.cleaned_data["name"])
        messages.success(request, f"The passkey is now called “{passkey.name}”.")
        return redirect("accounts:security")
    return render(
        request,
        "twofactor/passkey_rename.html",
        {"form": form, "passkey": passkey},
        status=400 if form.errors else 200,
    )


@never_cache
@step_up_required
@require_http_methods(["GET", "POST"])
def remove_view(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Remove a passkey, after a confirming POST."""
    passkey = _own(request, passkey_id)
    if request.method == "POST":
        passkeys.remove(request, passkey)
        messages.success(request, f"The passkey “{passkey.name}” was removed.")
        return redirect("accounts:security")
    return render(request, "twofactor/passkey_remove.html", {"passkey": passkey})


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("verify")
def undo_view(request: HttpRequest, token: str) -> HttpResponse:
    """From the notice of a new passkey: confirm (POST) to remove it and end every session."""
    if request.method == "POST":
        removed = disown.disown_passkey(request, token)
        return render(
            request,
            "twofactor/passkey_undo_done.html",
            {"removed": removed},
            status=200 if removed else 400,
        )
    passkey = disown.pending_passkey(token)
    return render(
        request,
        "twofactor/passkey_undo.html",
        {"passkey": passkey},
        status=200 if passkey else 400,
    )
