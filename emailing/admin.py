from django.contrib import admin

from emailing.models import EmailLog, Suppression


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
        "event",
        "failed_over",
        "attempts",
    )
    list_filter = ("status", "event", "kind", "provider", "error_code", "failed_over", "created_at")
    exclude = ("payload",)
    search_fields = ("recipient", "subject", "provider_message_id")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in EmailLog._meta.fields if field.name != "payload"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Addresses no mail goes to (hard bounces, complaints); deleting an entry lifts it.

    Entries come from the provider's events, in the canonical form of the address they are
    compared by; one typed here would be stored as typed and stop nothing, so none is.
    """

    list_display = ("address", "reason", "created_at", "provider_message_id")
    list_filter = ("reason", "created_at")
    search_fields = ("address",)
    readonly_fields = ("address", "reason", "detail", "provider_message_id", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
