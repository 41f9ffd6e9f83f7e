"""The dashboard and the site-wide error pages."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.redirects import requested_next


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user who they are and where to go next."""
    return render(request, "dashboard.html")


def admin_login(request: HttpRequest) -> HttpResponse:
    """Send the admin's sign-in to Hygate's, keeping a safe `next`."""
    return redirect_to_login(requested_next(request) or reverse("admin:index"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a rejected form in words a person understands."""
    return render(request, "errors/csrf.html", status=403)
