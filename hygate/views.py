"""The dashboard, the site-wide error pages and the health check."""

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import refuse_staff_session
from core.redirects import requested_next
from emailing import config
from emailing.models import Provider
from twofactor import policy, staff_access


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user who they are and where to go next."""
    second_step = policy.required_for(request.user)
    return render(request, "dashboard.html", {"two_factor_on": second_step is not None})


def admin_login(request: HttpRequest) -> HttpResponse:
    """Send the admin's sign-in to Hygate's, keeping a safe `next`.

    Staff signed in without the authenticator app the admin needs are told so instead, and
    a signed-in account without staff status that this account has no access (sending it to
    sign in again would only bring it back here, in a loop).
    """
    next_url = requested_next(request) or reverse("admin:index")
    user = request.user
    if user.is_staff and staff_access.lacks_app(request):
        return staff_access.sign_in_with_app(next_url)
    if user.is_authenticated and not user.is_staff:
        return render(request, "errors/admin_no_access.html", status=403)
    return redirect_to_login(next_url)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a rejected form in words a person understands."""
    return render(request, "errors/csrf.html", status=403)


# The longest /healthz waits for the database before calling it down: a balancer probes
# every second or so, and a probe that hangs tells it nothing.
HEALTHZ_DATABASE_TIMEOUT = 3.0


def _select_one() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False
    finally:
        connection.close()  # this thread's own connection; it ends with the thread


def _database_ok() -> bool:
    """Say whether the database answers `SELECT 1` within HEALTHZ_DATABASE_TIMEOUT."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
    try:
        return pool.submit(_select_one).result(timeout=HEALTHZ_DATABASE_TIMEOUT)
    except TimeoutError:
        # The thread is left to end at the connect timeout (settings: connect_timeout).
        return False
    finally:
        pool.shutdown(wait=False)


def _cache_ok() -> bool:
    try:
        cache.set("hygate:healthz", 1, timeout=10)
        return cache.get("hygate:healthz") == 1
    except Exception:
        return False


def _email_status(request: HttpRequest, database_ok: bool) -> dict:
    """Say whether mail can go out; name the provider only to who may see the settings."""
    try:
        # Who may open Settings -> Email: staff with its view permission, in a session
        # the staff pages accept (one that passed the app, where staff must use one).
        user = request.user
        show_provider = (
            database_ok
            and user.is_staff
            and user.has_perm("emailing.view_emailsettings")
            and refuse_staff_session(request) is None
        )
    except Exception:  # a session cookie whose store cannot be read: show what anyone sees
        show_provider = False
    provider, configured = _provider_status() if database_ok else ("unknown", False)
    if show_provider:
        return {"provider": provider, "configured": configured}
    return {"configured": configured}


def _provider_status() -> tuple[str, bool]:
    try:
        cfg = config.effective()
    except Exception:  # unreadable saved settings: mail cannot go out, the probe answers
        return "unknown", False
    configured = (cfg.provider == Provider.RESEND and bool(cfg.resend_api_key)) or (
        cfg.provider == Provider.SMTP and bool(cfg.smtp_host)
    )
    return cfg.provider, configured


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer a load balancer: 200 while the database and the cache answer, else 503."""
    database_ok, cache_ok = _database_ok(), _cache_ok()
    healthy = database_ok and cache_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": "ok" if database_ok else "down",
            "cache": "ok" if cache_ok else "down",
            "email": _email_status(request, database_ok),
        },
        status=200 if healthy else 503,
    )


_FAVICON = settings.BASE_DIR / "static" / "hygate" / "favicon.ico"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Serve the icon browsers ask for at /favicon.ico, cached for a week."""
    response = HttpResponse(_FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800, immutable"
    return response
