from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: nobody adds, edits or deletes an event here."""

    list_display = ("created_at", "action", "actor", "target_user", "target", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor__email", "target_user__email", "target")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "target_user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
