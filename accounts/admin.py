from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from accounts import factors, privileges, sessions
from accounts.flows import staff_changes
from accounts.models import User
from core import deletion

# What only a superuser gives or takes away: whoever holds one of these can grant the rest.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ("email",)
    list_display = ("email", "name", "email_verified_at", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "email_verified_at")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["reset_two_factor", "end_all_sessions"]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        """Show staff and superuser status, groups and permissions read-only to non-superusers."""
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else fields + PRIVILEGE_FIELDS

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        """Change only accounts the editor may manage (see accounts.privileges.may_manage)."""
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or privileges.may_manage(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        """Delete only accounts the editor may manage."""
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or privileges.may_manage(request.user, obj))

    def has_reset_two_factor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.reset_two_factor")

    def has_end_sessions_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.end_sessions")

    def _refuse_unmanageable(self, request: HttpRequest, queryset: QuerySet) -> bool:
        """Refuse the whole action, with a message, if it selects an account out of reach."""
        refused = [user.email for user in queryset if not privileges.may_manage(request.user, user)]
        if refused:
            self.message_user(
                request,
                "Nothing was done: only a superuser may act on staff or superuser accounts "
                f"({', '.join(refused)}).",
                messages.ERROR,
            )
        return bool(refused)

    @admin.action(description="Reset two-factor", permissions=["reset_two_factor"])
    def reset_two_factor(self, request, queryset) -> None:
        """Remove the selected users' authenticator apps and recovery codes, and tell them."""
        if self._refuse_unmanageable(request, queryset):
            return
        for user in queryset:
            factors.staff_reset(user, request.user)
        self.message_user(
            request,
            f"Two-factor reset for {len(queryset)} user(s); each was told by e-mail.",
            messages.SUCCESS,
        )

    @admin.action(description="End all sessions", permissions=["end_sessions"])
    def end_all_sessions(self, request, queryset) -> None:
        """Sign the selected users out of every browser, recorded for each."""
        if self._refuse_unmanageable(request, queryset):
            return
        ended = sum(
            sessions.end_sessions_for_operator(user, by=request.user, via="admin")
            for user in queryset
        )
        self.message_user(
            request,
            f"{ended} session(s) of {len(queryset)} user(s) ended.",
            messages.SUCCESS,
        )

    def get_deleted_objects(self, objs, request):
        """Django's list, plus what other apps say stops the deletion (core.deletion)."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = [*protected, *deletion.blockers(User._meta.label, objs)]
        return deleted, model_count, perms_needed, protected

    def save_model(self, request, obj, form, change) -> None:
        """Save, and record and announce a change of another user's address by staff."""
        old_email = form.initial.get("email", "") if change else ""
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data and old_email != obj.email:
            staff_changes.email_changed_by_staff(obj, old_email, request.user)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's set-password page; a password set there is recorded and announced."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                staff_changes.password_changed_by_staff(user, request.user)
        return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups carry permissions to every member: only a superuser makes or changes them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser
