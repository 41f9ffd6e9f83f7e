"""The dashboard and the site-wide error pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user who they are and where to go next."""
    return render(request, "dashboard.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a rejected form in words a person understands."""
    return render(request, "errors/csrf.html", status=403)
