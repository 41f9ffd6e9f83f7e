"""Settings -> Email: the provider in force, Test Connection, Save, and the delivery log."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.access import settings_permission_required
from emailing import config, flows
from emailing.config import ProviderConfig, mask_secret
from emailing.forms import RESEND_RELAY, EmailSettingsForm, is_shared_sender
from emailing.models import EmailLog, EmailSettings, Provider, Suppression

SHARED_SENDER_WARNING = (
    "The from-address is onboarding@resend.dev, Resend's shared testing sender: it delivers "
    "only to the Resend account owner's own address. Verify your domain in Resend and send "
    "from an address on it."
)


def _initial(current: ProviderConfig) -> dict:
    provider = current.provider if current.provider in (Provider.RESEND, Provider.SMTP) else ""
    return {
        "provider": provider or Provider.RESEND,
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
    if request.method == "POST" and action == "relay":
        form = EmailSettingsForm(current=current, initial={**_initial(current), **RESEND_RELAY})
    elif request.method == "POST":
        form = EmailSettingsForm(request.POST, current=current, action=action)
        if action not in ("test", "save"):
            form.add_error(None, "Choose Test Connection or Save.")
        elif form.is_valid() and action == "test":
            recipient = form.cleaned_data["test_recipient"] or request.user.email
            test = flows.test_connection(form.to_config(), recipient, request.user)
        elif form.is_valid():
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
        form = EmailSettingsForm(current=current, initial=_initial(current))
    return render(
        request,
        "settings/email.html",
        {
            "form": form,
            "current": current,
            "masked_key": mask_secret(current.resend_api_key),
            "masked_password": mask_secret(current.smtp_password),
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
        },
        status=400 if form.errors else 200,
    )


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
