"""The admin site: Django's, opened only to staff sessions the staff-session checks accept."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.access import refuse_staff_session


class HygateAdminSite(admin.AdminSite):
    """Django's admin site that also asks the session what the settings pages ask of it.

    A refused staff session is sent to the admin's login, which Hygate maps to its own
    sign-in (hygate.views.admin_login): it explains there what the session lacks.
    """

    site_title = site_header = "Hygate administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and refuse_staff_session(request) is None

    def password_change(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        """Send staff to Hygate's password change (the app's code, a notice, other sessions end)."""
        return redirect("accounts:password_change")
