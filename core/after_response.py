"""Run some work (mail) after the response has gone out, in the same process.

Used where the visitor must not learn anything from how long the page took: a password
reset for a known address sends mail, one for an unknown address does not. The WSGI and
ASGI servers call `response.close()` once the body is sent; the queued deliveries run
there, before Django's own close (which ends the request and its database connection).
"""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("hygate.emailing")


class SendAfterResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.after_response = []
        response = self.get_response(request)
        jobs = request.after_response
        if jobs:
            close = response.close

            def run_jobs_then_close() -> None:
                try:
                    for job in jobs:
                        try:
                            job()
                        except Exception:
                            logger.exception("[EmailService] a delivery after the response failed")
                finally:
                    close()

            response.close = run_jobs_then_close
        return response


def after_response(request: HttpRequest, job: Callable[[], object]) -> None:
    """Run job once the response is sent (at once where the middleware is not in use)."""
    queue = getattr(request, "after_response", None)
    if queue is None:
        job()
    else:
        queue.append(job)
