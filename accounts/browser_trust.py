"""The seam between signing in and trusted browsers, which twofactor.trust keeps.

accounts never imports twofactor: the app that keeps trusted browsers registers its two
functions here from its AppConfig.ready(). Without them no browser is ever trusted, and
every sign-in takes its second step.

A trusted browser skips only the second step, never the password. The wish to trust one
is a box ticked with the code that passed; it waits in the pending sign-in until the
sign-in completes (after the set-up of a required app, if there is one), so the trust
is given for the step the sign-in actually passed.
"""

from collections.abc import Callable

from django import forms
from django.http import HttpRequest

from accounts.models import User
from accounts.process import SessionProcess

DAYS = 30
WISH_KEY = "trust_browser"

# (request, user) -> the second step this browser was trusted with and may skip, or "".
_skip: Callable[[HttpRequest, User], str] | None = None
# (request, user, method): trust this browser for the user, for the step it passed.
_grant: Callable[[HttpRequest, User, str], None] | None = None


def register(
    skip: Callable[[HttpRequest, User], str], grant: Callable[[HttpRequest, User, str], None]
) -> None:
    """Let an app above accounts decide which browsers skip the second step, and trust them."""
    global _skip, _grant
    _skip, _grant = skip, grant


def checkbox(element_id: str) -> forms.BooleanField:
    """The unticked "Trust this browser" box of a second-step form."""
    return forms.BooleanField(
        label=f"Trust this browser for {DAYS} days",
        required=False,
        help_text=(
            "You will still type your password here, but not a code. Leave it unticked on a "
            "computer that others use."
        ),
        widget=forms.CheckboxInput(attrs={"id": element_id}),
    )


def skipped_step(request: HttpRequest, user: User) -> str:
    """The step a trusted browser lets this sign-in skip (recorded), or "" to take it."""
    return _skip(request, user) if _skip is not None else ""


def wish(pending: SessionProcess, ticked: bool) -> None:
    """Remember whether the box was ticked with the code that passed."""
    pending.state[WISH_KEY] = bool(ticked)
    pending.save()


def grant_if_wished(request: HttpRequest, pending: SessionProcess, user: User, step: str) -> None:
    """Trust this browser for the step passed, if the box was ticked."""
    if pending.state.get(WISH_KEY) is True and step and _grant is not None:
        _grant(request, user, step)
