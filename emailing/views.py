"""Settings -> Email: the provider in force, Test Connection, Save, and the delivery log."""

import time
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.access import settings_permission_required
from core.crypto import SecretUnreadable, decrypt, encrypt
from emailing import config, flows
from emailing.config import ProviderConfig
from emailing.errors import SHARED_SENDER_ADVICE
from emailing.forms import (
    RESEND_RELAY,
    EmailSettingsForm,
    describe_saved_secret,
    is_shared_sender,
)
from emailing.models import EmailLog, EmailSettings, Provider, Suppression
from emailing.previews import PREVIEWS, Preview

SHARED_SENDER_WARNING = SHARED_SENDER_ADVICE


# The secret typed for Test Connection, kept (encrypted, in the session) for the Save that
# follows it: the page never renders a secret back, so without this Save would ask again.
TESTED_SECRET = "emailing_tested_secret"  # noqa: S105 (a session key, not a secret)
TESTED_SECRET_SECONDS = 10 * 60
PROVIDERS = (Provider.RESEND, Provider.SMTP)


def _keep_tested_secret(request: HttpRequest, form: EmailSettingsForm) -> None:
    resend = form.cleaned_data["provider"] == Provider.RESEND
    field = "resend_api_key" if resend else "smtp_password"
    if not request.POST.get(field):
        return  # nothing typed: the saved or kept secret was used, keep things as they are
    request.session[TESTED_SECRET] = {
        "destination": list(form.tested_destination()),
        "secret": encrypt(form.cleaned_data[field]),
        "until": time.time() + TESTED_SECRET_SECONDS,
    }


def _tested_secret(request: HttpRequest) -> tuple[tuple, str] | None:
    kept = request.session.get(TESTED_SECRET)
    if not kept or kept["until"] < time.time():
        request.session.pop(TESTED_SECRET, None)
        return None
    try:
        return tuple(kept["destination"]), decrypt(kept["secret"])
    except SecretUnreadable:
        return None


def _initial(current: ProviderConfig, chosen: str = "") -> dict:
    provider = current.provider if current.provider in PROVIDERS else ""
    return {
        "provider": chosen or provider or Provider.RESEND,
        "from_email": current.from_email,
        "smtp_host": current.smtp_host,
        "smtp_port": current.smtp_port,
        "smtp_security": current.smtp_security,
        "smtp_username": current.smtp_username,
    }


@sensitive_post_parameters("resend_api_key", "smtp_password", "webhook_secret")
@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(EmailSettings)
def email_settings_view(request: HttpRequest) -> HttpResponse:
    """Show and change the e-mail provider; test a configuration before saving it."""
    current, unreadable = flows.current_config()
    action = request.POST.get("action", "")
    test = None
    tested = _tested_secret(request)
    if request.method == "POST" and action == "relay":
        form = EmailSettingsForm(current=current, initial={**_initial(current), **RESEND_RELAY})
    elif request.method == "POST":
        form = EmailSettingsForm(request.POST, current=current, action=action, tested=tested)
        if action not in ("test", "save"):
            form.add_error(None, "Choose Test Connection or Save.")
        elif form.is_valid() and action == "test":
            recipient = form.cleaned_data["test_recipient"] or request.user.email
            test = flows.test_connection(form.to_config(), recipient, request.user)
            _keep_tested_secret(request, form)
            tested = _tested_secret(request)
        elif form.is_valid():
            request.session.pop(TESTED_SECRET, None)
            changed = flows.save_settings(form.to_config(), request.user)
            if form.cleaned_data["webhook_secret"]:
                flows.save_webhook_secret(form.cleaned_data["webhook_secret"], request.user)
                changed.append("webhook signing secret")
            summary = ", ".join(changed) if changed else "nothing changed"
            messages.success(request, f"E-mail settings saved ({summary}).")
            if form.uses_shared_sender:
                messages.warning(request, SHARED_SENDER_WARNING)
            return redirect("emailing:settings")
    else:
        chosen = request.GET.get("provider", "")
        chosen = chosen if chosen in PROVIDERS else ""
        form = EmailSettingsForm(current=current, initial=_initial(current, chosen))
    return render(
        request,
        "settings/email.html",
        {
            "form": form,
            "current": current,
            "chosen_provider": _chosen_provider(form),
            "tested_for": tested[0][0] if tested else "",  # the provider it was tested with
            "saved_key": describe_saved_secret("resend_api_key", current.resend_api_key),
            "saved_password": describe_saved_secret("smtp_password", current.smtp_password),
            "unreadable": unreadable,
            "shared_sender": is_shared_sender(current.from_email),
            "shared_sender_warning": SHARED_SENDER_WARNING,
            "test": test,
            "log": EmailLog.objects.all()[:20],
            "can_change": request.user.has_perm("emailing.change_emailsettings"),
            "webhook_secret_set": _webhook_secret_set(),
            "suppressions": Suppression.objects.all()[:100],
            "can_lift": request.user.has_perm("emailing.change_suppression"),
            "failover": config.failover(),
            "failovers_day": flows.failover_count(timezone.now() - timedelta(days=1)),
            "failovers_total": flows.failover_count(),
            "previews": PREVIEWS.values(),
        },
        status=400 if form.errors else 200,
    )


def _chosen_provider(form: EmailSettingsForm) -> str:
    """The provider whose fields the page shows (the other's stay hidden)."""
    chosen = form.data.get("provider") if form.is_bound else form.initial.get("provider")
    return chosen if chosen in PROVIDERS else Provider.RESEND


def _webhook_secret_set() -> bool:
    saved = EmailSettings.load()
    return bool(saved and saved.webhook_secret)


@never_cache
@require_http_methods(["POST"])
@settings_permission_required(Suppression)
def lift_suppression_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Let mail reach a suppressed address again."""
    suppression = get_object_or_404(Suppression, pk=pk)
    flows.lift_suppression(suppression, request.user)
    messages.success(request, f"Mail to {suppression.address} is no longer suppressed.")
    return redirect("emailing:settings")


@never_cache
@require_http_methods(["GET", "POST"])
@settings_permission_required(EmailSettings)
def use_environment_view(request: HttpRequest) -> HttpResponse:
    """Ask, then drop the saved settings so the environment's (or the console) apply again."""
    if not request.user.has_perm("emailing.change_emailsettings"):
        raise PermissionDenied  # the question is only for those who may answer it
    if request.method == "POST":
        if flows.use_environment(request.user):
            request.session.pop(TESTED_SECRET, None)
            messages.success(
                request, "The saved e-mail settings are removed: the environment's are in force."
            )
        return redirect("emailing:settings")
    return render(
        request,
        "settings/email_environment.html",
        {"environment": config.from_environment(), "saved": EmailSettings.load()},
    )


# The mail's own HTML, framed by the preview page: inline styles as in a mail client, and
# nothing else (no script, no image, no form, no other origin may frame it).
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)
DARK_BODY = 'class="hg-body hg-dark"'


def _preview(slug: str) -> Preview:
    try:
        return PREVIEWS[slug]
    except KeyError:
        raise Http404("No such kind of e-mail.") from None


@never_cache
@require_http_methods(["GET"])
@settings_permission_required(EmailSettings)
def preview_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Show one kind of e-mail with sample data: subject, the HTML at 600 px, the text part."""
    preview = _preview(slug)
    message = preview.render()
    dark = request.GET.get("scheme") == "dark"
    return render(
        request,
        "settings/email_preview.html",
        {"preview": preview, "message": message, "dark": dark, "previews": PREVIEWS.values()},
    )


@never_cache
@xframe_options_sameorigin
@require_http_methods(["GET"])
@settings_permission_required(EmailSettings)
def preview_html_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Serve the HTML part of one sample mail, as the preview page frames it."""
    html = Preview.html_of(_preview(slug).render())
    if request.GET.get("scheme") == "dark":
        # The mail's dark rules also apply under .hg-dark: the preview can force them.
        html = html.replace('class="hg-body"', DARK_BODY, 1)
    response = HttpResponse(html)
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response
