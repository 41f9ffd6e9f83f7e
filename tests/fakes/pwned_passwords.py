"""A stand-in for Have I Been Pwned's Pwned Passwords range API on loopback.

`GET /range/<5 hex>` answers every known suffix under that prefix as `SUFFIX:COUNT` lines,
with decoy lines of count 0 when the request carries `Add-Padding: true`, as the real one
does. Tests add breached passwords (`breach`), read what was asked (`requests`), and make
it fail (`status`) or hang (`delay`) for the next requests.
"""

import contextlib
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


class FakePwnedPasswords:
    def __init__(self) -> None:
        self.breached: dict[str, int] = {}
        self.requests: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/range/"

    def start(self) -> "FakePwnedPasswords":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.breached.clear()
        self.requests.clear()
        self.status = 200
        self.delay = 0.0

    def breach(self, password: str, count: int = 12345) -> None:
        self.breached[sha1_hex(password)] = count

    def _answer(self, prefix: str, padding: bool) -> str:
        lines = [
            f"{digest[5:]}:{count}"
            for digest, count in self.breached.items()
            if digest.startswith(prefix)
        ]
        if padding:
            lines += [f"{i:035X}:0" for i in range(1, 6)]
        return "\r\n".join(lines)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append({"path": self.path, "headers": dict(self.headers)})
                if fake.delay:
                    time.sleep(fake.delay)
                prefix = self.path.removeprefix("/range/")
                if fake.status != 200 or len(prefix) != 5:
                    self.send_response(fake.status if fake.status != 200 else 400)
                    self.end_headers()
                    return
                padding = self.headers.get("Add-Padding", "").lower() == "true"
                body = fake._answer(prefix.upper(), padding).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may have given up waiting (a hang test).
                with contextlib.suppress(ConnectionError):
                    self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
