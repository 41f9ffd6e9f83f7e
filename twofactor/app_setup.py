"""Setting up an authenticator app from the security page: the key shown at once, one per session.

The set-up page shows the QR code and the key as soon as it opens (after the step-up and,
for a first app, the inbox's code), with no "show the QR code" page between. So a GET may
start an enrolment, but only once per session: the session keeps a keyed digest of the key
it showed, and shows that key again on every later visit; "Start again" (a POST) makes a
new one. A key that another session started (or the sign-in's own set-up) is never shown
here: a stranger who once saw it must not get the owner to confirm it.
"""

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from twofactor import authenticators
from twofactor.authenticators import Enrolment

SESSION_KEY = "hygate.app_setup"
_SALT = "hygate.accounts.app_setup"


def _digest(enrolment: Enrolment) -> str:
    return salted_hmac(_SALT, enrolment.secret, algorithm="sha256").hexdigest()


def start(request: HttpRequest) -> Enrolment:
    """Make a new key for the signed-in user and remember in this session that it is theirs."""
    enrolment = authenticators.begin_enrolment(request.user)
    request.session[SESSION_KEY] = _digest(enrolment)
    return enrolment


def current(request: HttpRequest) -> Enrolment:
    """Return the key this session is setting up, starting one if it has none yet."""
    pending = authenticators.pending_enrolment(request.user)
    shown = request.session.get(SESSION_KEY)
    if (
        pending is not None
        and isinstance(shown, str)
        and constant_time_compare(shown, _digest(pending))
    ):
        return pending
    return start(request)


def finish(request: HttpRequest) -> None:
    """Forget the key once the app is set up."""
    request.session.pop(SESSION_KEY, None)
