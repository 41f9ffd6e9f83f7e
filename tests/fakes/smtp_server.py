"""A real SMTP server on loopback (aiosmtpd), a server that hangs up at once, and one that
accepts connections and never says a word."""

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER = "resend"
SMTP_PASSWORD = "re_smtp_password_1234567890"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    messages: list = field(default_factory=list)
    logins: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "message": message_from_bytes(envelope.original_content or envelope.content),
            }
        )
        return "250 Message accepted for delivery"


class Authenticator:
    def __init__(self, inbox: Inbox, password: str = SMTP_PASSWORD) -> None:
        self.inbox = inbox
        self.password = password

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.inbox.logins.append((login, password))
        ok = login == SMTP_USER and password == self.password
        return AuthResult(success=ok, handled=ok)


class SMTPServer:
    """aiosmtpd on 127.0.0.1 that accepts AUTH for SMTP_USER / SMTP_PASSWORD (no TLS)."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=Authenticator(self.inbox),
            auth_required=False,
            auth_require_tls=False,
        )

    def start(self) -> "SMTPServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class HangUpServer:
    """Accepts TCP connections and closes them before the SMTP greeting."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def start(self) -> "HangUpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.sock.close()


class SilentServer:
    """Accepts TCP connections and never answers: no greeting, no reply, no hang-up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def connections(self) -> int:
        return len(self.held)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)  # kept open, so the client waits for a greeting

    def start(self) -> "SilentServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


class DrippingServer:
    """Greets with a `220-` continuation line every `interval` seconds, for up to a minute.

    Each line arrives well within any read timeout, so only a deadline on the whole
    attempt ends the wait; smtplib reads continuation lines for as long as they come.
    """

    def __init__(self, interval: float = 0.2, lines: int = 300) -> None:
        self.interval = interval
        self.lines = lines
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.held.append(conn)
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        for _ in range(self.lines):
            if self._stopped.wait(self.interval):
                return
            try:
                conn.sendall(b"220-still saying hello\r\n")
            except OSError:  # the client hung up
                return

    def start(self) -> "DrippingServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.sock.close()
        for conn in self.held:
            conn.close()
