from django.contrib import admin

from emailing.models import EmailLog


@admin.register(EmailLog)
class EmailLogAdmin(admin.ModelAdmin):
    """The delivery log, read-only: what was sent to whom, and what became of it."""

    list_display = (
        "created_at",
        "kind",
        "recipient",
        "provider",
        "status",
        "error_code",
        "attempts",
    )
    list_filter = ("status", "kind", "provider", "error_code", "created_at")
    search_fields = ("recipient", "subject", "provider_message_id")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in EmailLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
