"""Development and test backends: the terminal, and Django's in-memory outbox."""

from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend
from django.core.mail.backends.locmem import EmailBackend as DjangoLocmemBackend

from emailing.backends.base import HygateEmailBackend
from emailing.models import Provider


class ConsoleBackend(HygateEmailBackend):
    """Print each message to the terminal (and record it in the delivery log)."""

    provider = Provider.CONSOLE

    def __init__(self, stream=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.console = DjangoConsoleBackend(**({"stream": stream} if stream else {}))

    def send_one(self, message: EmailMessage, idempotency_key: str) -> str:
        self.console.send_messages([message])
        return f"console-{idempotency_key}"


class LocmemBackend(HygateEmailBackend):
    """Keep each message in django.core.mail.outbox; the test suite's provider."""

    provider = Provider.LOCMEM

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.locmem = DjangoLocmemBackend()

    def send_one(self, message: EmailMessage, idempotency_key: str) -> str:
        self.locmem.send_messages([message])
        return f"locmem-{len(mail.outbox)}"
