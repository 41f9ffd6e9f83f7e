"""Settings -> Apps for staff, and each user's own list of apps at /accounts/apps/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import get_application_model

from core.access import settings_permission_required
from oidc import flows
from oidc.forms import AppForm

Application = get_application_model()


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


@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(Application)
def app_new_view(request: HttpRequest) -> HttpResponse:
    """Register an app; its client secret is shown on the answer to the POST, once."""
    form = AppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        app, secret = flows.register_app(request, form.to_settings(), by=request.user)
        return render(
            request,
            "oidc/settings_app_registered.html",
            {"app": app, "secret": secret, "discovery_url": _discovery_url(request)},
        )
    return render(
        request,
        "oidc/settings_app_form.html",
        {"form": form, "app": None},
        status=400 if form.errors else 200,
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
@require_http_methods(["POST"])
@settings_permission_required(Application)
def app_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a new client secret for a confidential app, shown once."""
    app = get_object_or_404(Application, pk=pk, client_type=Application.CLIENT_CONFIDENTIAL)
    secret = flows.reset_secret(request, app)
    return render(
        request,
        "oidc/settings_app_registered.html",
        {
            "app": app,
            "secret": secret,
            "new_secret": True,
            "discovery_url": _discovery_url(request),
        },
    )


@never_cache
@require_http_methods(["POST"])
@settings_permission_required(Application)
def app_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an app: nobody signs in to it with Hygate any more, its tokens die."""
    app = get_object_or_404(Application, pk=pk)
    flows.delete_app(request, app)
    messages.success(request, f"{app.name} removed; its tokens no longer work.")
    return redirect("oidc:apps")


@never_cache
@login_required
@require_http_methods(["GET"])
def my_apps_view(request: HttpRequest) -> HttpResponse:
    """The apps the user lets sign them in, each with a way to take it back."""
    return render(request, "oidc/my_apps.html", {"apps": flows.apps_of(request.user)})


@never_cache
@login_required
@require_http_methods(["POST"])
def revoke_app_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke an app's access: its consent is forgotten and its tokens die."""
    app = get_object_or_404(Application, pk=pk)
    flows.revoke_app(request, app)
    messages.success(request, f"{app.name} can no longer sign you in without asking.")
    return redirect("my_apps")
