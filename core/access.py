"""Who may open which page."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# What a staff page asks of the session, beyond the user's permissions (for example, that
# it passed the authenticator app): the accounts app registers it, since core imports no
# app. A check returns None to let the request through, or the response to give instead.
StaffSessionCheck = Callable[[HttpRequest], HttpResponse | None]
_staff_session_checks: list[StaffSessionCheck] = []


def register_staff_session_check(check: StaffSessionCheck) -> None:
    """Add a check every staff page (the admin, the settings pages) runs on the session."""
    if check not in _staff_session_checks:
        _staff_session_checks.append(check)


def refuse_staff_session(request: HttpRequest) -> HttpResponse | None:
    """Return the response for a session not fit for staff pages, or None if it is fit."""
    for check in _staff_session_checks:
        if (response := check(request)) is not None:
            return response
    return None


def settings_permission_required(
    model: type[Model], *, changing: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Guard a settings page by the model's permissions, as the admin does.

    Reading the page needs the model's view permission, changing it (any POST) the change
    permission; a superuser has both. A page that only asks to confirm a change (`changing`)
    needs the change permission to be read too: it is of no use to anyone else. Anonymous
    visitors are sent to sign in; everyone else, staff included, gets 403: `is_staff` alone
    opens no settings page. A session the registered staff-session checks refuse gets their
    answer instead of the page.
    """
    opts = model._meta
    view_perm = f"{opts.app_label}.view_{opts.model_name}"
    change_perm = f"{opts.app_label}.change_{opts.model_name}"

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            needed = view_perm if request.method in SAFE_METHODS and not changing else change_perm
            if not (user.is_active and user.is_staff and user.has_perm(needed)):
                raise PermissionDenied
            if (refused := refuse_staff_session(request)) is not None:
                return refused
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
