"""Mail backends that behave like a broken mail service."""

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down: every send fails."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")
