from django.contrib import admin

from organisations.models import Invitation, Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "joined_at")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    list_filter = ("created_at",)
    readonly_fields = ("created_at",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "joined_at")
    list_filter = ("role", "joined_at")
    search_fields = ("user__email", "user__name", "organisation__name", "organisation__slug")
    autocomplete_fields = ("user", "organisation")
    list_select_related = ("user", "organisation")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations without their token hashes: a link can only come from a new invitation."""

    list_display = ("email", "organisation", "role", "invited_by", "created_at", "expires_at")
    list_filter = ("role", "send_failed", "created_at", "expires_at", "accepted_at", "revoked_at")
    search_fields = ("email", "organisation__name", "organisation__slug", "invited_by__email")
    list_select_related = ("organisation", "invited_by")
    exclude = ("token_hash",)
    readonly_fields = (
        "organisation",
        "email",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "send_failed",
        "accepted_at",
        "accepted_by",
        "declined_at",
        "declined_by",
        "revoked_at",
        "revoked_by",
    )

    def has_add_permission(self, request) -> bool:
        return False
