"""Settings -> Audit log: who did what, when, from where; read-only."""

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit.forms import AuditFilterForm
from audit.models import AuditEvent
from core.access import settings_permission_required

PAGE_SIZE = 50


def filtered_events(form: AuditFilterForm) -> QuerySet[AuditEvent]:
    """Return the events the valid filters of the form select, newest first."""
    events = AuditEvent.objects.select_related("actor", "target_user")
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    if data["user"]:
        events = events.filter(
            Q(actor__email__icontains=data["user"])
            | Q(target_user__email__icontains=data["user"])
            | Q(target__icontains=data["user"])
        )
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["since"]:
        events = events.filter(created_at__date__gte=data["since"])
    if data["until"]:
        events = events.filter(created_at__date__lte=data["until"])
    return events.order_by("-created_at", "-pk")


@never_cache
@require_GET
@settings_permission_required(AuditEvent)
def audit_log_view(request: HttpRequest) -> HttpResponse:
    """List audit events, 50 a page, filtered by user, action and dates."""
    form = AuditFilterForm(request.GET)
    page = Paginator(filtered_events(form), PAGE_SIZE).get_page(request.GET.get("page"))
    opts = get_user_model()._meta
    return render(
        request,
        "settings/audit.html",
        {
            "form": form,
            "page": page,
            "page_numbers": page.paginator.get_elided_page_range(
                page.number, on_each_side=1, on_ends=1
            ),
            "user_admin_url": f"admin:{opts.app_label}_{opts.model_name}_change",
        },
        status=400 if form.errors else 200,
    )
