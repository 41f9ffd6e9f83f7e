"""The security page's "Stop trusting" buttons (the list itself is on /accounts/security/).

Stopping trust only takes access away, so it needs no step-up: the signed-in user's POST
(with its CSRF token) is enough, as signing out is.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from twofactor import trust


@login_required
@require_POST
def stop_trusting_view(request: HttpRequest, browser_id: int) -> HttpResponse:
    """Stop trusting one of the user's browsers; it asks for the second step again."""
    if trust.stop_trusting(request, browser_id):
        messages.success(
            request, "That browser is no longer trusted: it will ask for the second step again."
        )
    else:
        messages.info(request, "That browser was already no longer trusted.")
    return redirect("accounts:security")
