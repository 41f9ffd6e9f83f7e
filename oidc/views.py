"""Settings -> Apps for staff, and each user's own list of apps at /accounts/apps/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import get_application_model

from core import crypto
from core.access import settings_permission_required
from oidc import claims, flows
from oidc.forms import AppForm

Application = get_application_model()
# A new client secret waits here, encrypted, for the one page that shows it.
NEW_SECRET_SESSION_KEY = "hygate.oidc.secret_once"  # noqa: S105 (a session key, not a secret)


def _discovery_url(request: HttpRequest) -> str:
    return f"{settings.HYGATE_SITE_URL}/.well-known/openid-configuration"


@never_cache
@require_http_methods(["GET"])
@settings_permission_required(Application)
def app_list_view(request: HttpRequest) -> HttpResponse:
    """List the apps that sign people in with Hygate."""
    apps = Application.objects.order_by("name", "pk")
    return render(
        request,
        "oidc/settings_apps.html",
        {"apps": apps, "discovery_url": _discovery_url(request)},
    )


def _show_secret_once(request: HttpRequest, app, secret: str, *, new: bool) -> HttpResponse:
    """Go to the page that shows the secret: reloading it never registers or resets again."""
    request.session[NEW_SECRET_SESSION_KEY] = {
        "pk": app.pk,
        "secret": crypto.encrypt(secret),
        "new": new,
    }
    return redirect("oidc:app_registered", app.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(Application)
def app_new_view(request: HttpRequest) -> HttpResponse:
    """Register an app, then show its client secret once."""
    form = AppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        app, secret = flows.register_app(request, form.to_settings(), by=request.user)
        if not secret:  # a public app has none
            return redirect("oidc:app_registered", app.pk)
        return _show_secret_once(request, app, secret, new=False)
    return render(
        request,
        "oidc/settings_app_form.html",
        {"form": form, "app": None},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET"])
@settings_permission_required(Application)
def app_registered_view(request: HttpRequest, pk: int) -> HttpResponse:
    """What an app needs to sign people in; its new secret the first time only."""
    app = get_object_or_404(Application, pk=pk)
    kept = request.session.get(NEW_SECRET_SESSION_KEY)
    secret, new_secret = "", False
    if kept and kept.get("pk") == app.pk:
        del request.session[NEW_SECRET_SESSION_KEY]
        secret, new_secret = crypto.decrypt(kept["secret"]), kept["new"]
    return render(
        request,
        "oidc/settings_app_registered.html",
        {
            "app": app,
            "secret": secret,
            "new_secret": new_secret,
            "public": app.client_type == Application.CLIENT_PUBLIC,
            "discovery_url": _discovery_url(request),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(Application)
def app_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an app's name, redirect URIs and trust."""
    app = get_object_or_404(Application, pk=pk)
    public = app.client_type == Application.CLIENT_PUBLIC
    if request.method == "POST":
        form = AppForm(request.POST, editing=True)
        if form.is_valid():
            changed = flows.change_app(request, app, form.to_settings(public=public))
            summary = ", ".join(changed) if changed else "nothing changed"
            messages.success(request, f"{app.name} saved ({summary}).")
            return redirect("oidc:apps")
    else:
        form = AppForm(initial=AppForm.initial_for(app), editing=True)
    return render(
        request,
        "oidc/settings_app_form.html",
        {"form": form, "app": app, "public": public, "discovery_url": _discovery_url(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(Application, changing=True)
def app_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a new client secret for a confidential app, after a confirming POST; shown once."""
    app = get_object_or_404(Application, pk=pk, client_type=Application.CLIENT_CONFIDENTIAL)
    if request.method == "POST":
        return _show_secret_once(request, app, flows.reset_secret(request, app), new=True)
    return render(
        request,
        "oidc/settings_app_confirm.html",
        {
            "app": app,
            "title": f"Make a new client secret for {app.name}?",
            "consequence": (
                f"The current secret stops working at once: {app.name} cannot sign anyone in "
                "until it is given the new one."
            ),
            "action": "Make a new secret",
            "action_url": reverse("oidc:app_secret", args=[app.pk]),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(Application, changing=True)
def app_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an app after a confirming POST: nobody signs in to it with Hygate any more."""
    app = get_object_or_404(Application, pk=pk)
    if request.method == "POST":
        flows.delete_app(request, app)
        messages.success(request, f"{app.name} removed; its tokens no longer work.")
        return redirect("oidc:apps")
    return render(
        request,
        "oidc/settings_app_confirm.html",
        {
            "app": app,
            "title": f"Remove {app.name}?",
            "consequence": (
                f"Nobody can sign in to {app.name} with Hygate any more, and every token it "
                "holds stops working at once. Registering it again gives it a new client ID."
            ),
            "action": "Remove the app",
            "action_url": reverse("oidc:app_delete", args=[app.pk]),
        },
    )


def _allowed_words(consent) -> str:
    """What a consent lets the app do, in the consent page's own words."""
    wanted = [s for s in claims.SCOPES if s in consent.scopes and s != "openid"] or ["openid"]
    return "; ".join(claims.SCOPES[s][0].lower() + claims.SCOPES[s][1:] for s in wanted)


@never_cache
@login_required
@require_http_methods(["GET"])
def my_apps_view(request: HttpRequest) -> HttpResponse:
    """The apps the user lets sign them in, each with a way to take it back."""
    apps = [
        (app, consent, _allowed_words(consent) if consent else "")
        for app, consent in flows.apps_of(request.user)
    ]
    return render(request, "oidc/my_apps.html", {"apps": apps})


@never_cache
@login_required
@require_http_methods(["POST"])
def revoke_app_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke an app's access: its consent is forgotten and its tokens die."""
    app = get_object_or_404(Application, pk=pk)
    flows.revoke_app(request, app)
    if app.skip_authorization:
        messages.success(
            request,
            f"{app.name} is signed out: its tokens no longer work. Your site's staff trust it, "
            "so it can sign you in again without asking.",
        )
    else:
        messages.success(request, f"{app.name} can no longer sign you in without asking.")
    return redirect("my_apps")
