"""A stand-in for Resend's HTTP API on loopback, answering as Resend does.

It knows an account: its owner's address, its verified domains, a full-access key and a
sending-only key. Tests script failures for the next sends (`fail_next`), or a share of
all sends (`fail_ratio`), and read what was delivered (`delivered`) and every request made
(`requests`). With `rate` set it answers 429 past that many requests a second, as Resend
does. `/emails/batch` takes up to 100 messages under one Idempotency-Key. `post_webhook`
signs an event the svix way and posts it to a URL.
"""

import json
import random
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from svix.webhooks import Webhook

FULL_KEY = "re_full_access_key_123456789"
SENDING_KEY = "re_sending_only_key_987654321"
OWNER = "owner@verified.example"
VERIFIED_DOMAIN = "verified.example"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Failure:
    """How to answer one coming POST /emails: an error status, a long silence, or a hang-up."""

    status: int = 500
    name: str = "internal_server_error"
    message: str = "An unexpected error occurred."
    headers: dict = field(default_factory=dict)
    sleep: float = 0.0
    drop: bool = False
    deliver_first: bool = False  # take the message, then stall or hang up before answering
    drip: float = 0.0  # answer 200, then a byte of the body this often, for a minute


@dataclass
class Account:
    keys: dict = field(default_factory=lambda: {FULL_KEY: "full", SENDING_KEY: "sending"})
    owner: str = OWNER
    domains: dict = field(
        default_factory=lambda: {VERIFIED_DOMAIN: "verified", "pending.example": "pending"}
    )


class FakeResend:
    def __init__(self) -> None:
        self.account = Account()
        self.delivered: list[dict] = []
        self.requests: list[dict] = []
        self.failures: list[Failure] = []
        self.rate: int = 0  # requests a second before 429; 0: no limit
        self.fail_ratio: float = 0.0
        self.random_failures: list[Failure] = []
        self.rate_limited = 0
        self._window: tuple[int, int] = (0, 0)
        self._random = random.Random(12)
        self._idempotent: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeResend":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.account = Account()
            self.delivered.clear()
            self.requests.clear()
            self.failures.clear()
            self.rate = 0
            self.fail_ratio = 0.0
            self.random_failures = []
            self.rate_limited = 0
            self._window = (0, 0)
            self._random = random.Random(12)
            self._idempotent.clear()

    def fail_next(self, *failures: Failure) -> None:
        with self._lock:
            self.failures.extend(failures)

    def fail_randomly(self, ratio: float, *failures: Failure) -> None:
        """Fail this share of sends, each with one of `failures` picked at random."""
        with self._lock:
            self.fail_ratio = ratio
            self.random_failures = list(failures)

    @property
    def batch_calls(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/emails/batch"]

    def over_rate(self) -> Failure | None:
        """Count a request in its one-second window; a 429 once the window is full."""
        if not self.rate:
            return None
        with self._lock:
            now = time.time()
            second, count = self._window
            if int(now) != second:
                second, count = int(now), 0
            count += 1
            self._window = (second, count)
            if count <= self.rate:
                return None
            self.rate_limited += 1
        wait = second + 1 - now
        return self.error(
            429,
            "rate_limit_exceeded",
            "Too many requests. You can only make 10 requests per second.",
            {
                "retry-after": f"{wait:.3f}",
                "ratelimit-limit": str(self.rate),
                "ratelimit-remaining": "0",
                "ratelimit-reset": f"{wait:.3f}",
            },
        )

    def post_webhook(
        self, client, event: dict, secret: str = WEBHOOK_SECRET, msg_id: str = "", at=None
    ):
        """Sign an event as Resend's webhooks do and post it with Django's test client."""
        from datetime import UTC, datetime

        body = json.dumps(event)
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        at = at or datetime.now(UTC)
        signature = Webhook(secret).sign(msg_id, at, body)
        return client.post(
            "/webhooks/resend/",
            body,
            content_type="application/json",
            headers={
                "svix-id": msg_id,
                "svix-timestamp": str(int(at.timestamp())),
                "svix-signature": signature,
            },
        )

    # --- the API ---------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: dict, body: bytes):
        """Return (status, headers, payload) or a Failure to act out."""
        auth = headers.get("authorization", "")
        key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        with self._lock:
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "headers": headers,
                    "body": body,
                    "at": time.time(),
                }
            )
        if not key:
            return self.error(
                401, "missing_api_key", "Missing API key in the authorization header."
            )
        access = self.account.keys.get(key)
        if access is None:
            return self.error(403, "invalid_api_key", "API key is invalid")
        if method == "GET" and path == "/domains":
            if access != "full":
                return self.error(
                    401, "restricted_api_key", "This API key is restricted to only send emails"
                )
            data = [
                {"id": str(uuid.uuid4()), "name": name, "status": status, "region": "us-east-1"}
                for name, status in self.account.domains.items()
            ]
            return 200, {}, {"object": "list", "data": data}
        if method == "POST" and path in ("/emails", "/emails/batch"):
            if limited := self.over_rate():
                return limited
            payload = json.loads(body or b"{}")
            if path == "/emails/batch":
                return self.send_batch(headers, payload)
            return self.send(headers, payload)
        return self.error(404, "not_found", "The requested endpoint does not exist.")

    def _next_failure(self) -> Failure | None:
        with self._lock:
            if self.failures:
                return self.failures.pop(0)
            if self.fail_ratio and self._random.random() < self.fail_ratio:
                return self._random.choice(self.random_failures or [Failure()])
        return None

    def send_batch(self, headers: dict, payloads: list):
        if not isinstance(payloads, list) or not 1 <= len(payloads) <= 100:
            return self.error(422, "validation_error", "A batch holds 1 to 100 emails.")
        failure = self._next_failure()
        if failure is not None and not failure.deliver_first:
            return failure
        key = headers.get("idempotency-key")
        with self._lock:
            if key and key in self._idempotent:
                return 200, {}, self._idempotent[key]
        for payload in payloads:  # Resend checks the whole batch before sending any of it
            refusal = self.check(payload)
            if refusal is not None:
                return refusal
        with self._lock:
            if key and key in self._idempotent:
                return 200, {}, self._idempotent[key]
            answer = {"data": [{"id": str(uuid.uuid4())} for _ in payloads]}
            for payload, item in zip(payloads, answer["data"], strict=True):
                entry = {"payload": payload, "idempotency_key": key, "id": item["id"]}
                self.delivered.append(entry)
            if key:
                self._idempotent[key] = answer
        if failure is not None:
            return replace(failure, status=200, name="", message="", deliver_first=True)
        return 200, {}, answer

    def send(self, headers: dict, payload: dict):
        failure = self._next_failure()
        if failure is not None and not failure.deliver_first:
            return failure
        result = self.accept(headers, payload)
        if failure is not None and result[0] == 200:
            return replace(failure, status=200, name="", message="", deliver_first=True)
        return result

    def accept(self, headers: dict, payload: dict):
        refusal = self.check(payload)
        if refusal is not None:
            return refusal
        key = headers.get("idempotency-key")
        with self._lock:
            if key and key in self._idempotent:
                return 200, {}, self._idempotent[key]
            answer = {"id": str(uuid.uuid4())}
            self.delivered.append({"payload": payload, "idempotency_key": key, "id": answer["id"]})
            if key:
                self._idempotent[key] = answer
        return 200, {}, answer

    def check(self, payload: dict) -> Failure | None:
        """Refuse a message as Resend would (sender, domain), or return None."""
        sender = parseaddr(payload.get("from", ""))[1]
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", sender):
            return self.error(
                422,
                "invalid_from_address",
                "Invalid `from` field. The email address needs to follow the "
                "`email@example.com` or `Name <email@example.com>` format.",
            )
        recipients = [parseaddr(a)[1] for a in payload.get("to", []) + payload.get("cc", [])]
        domain = sender.rpartition("@")[2].lower()
        if domain == "resend.dev":
            if any(r.lower() != self.account.owner for r in recipients):
                return self.error(
                    403,
                    "validation_error",
                    "You can only send testing emails to your own email address "
                    f"({self.account.owner}). To send emails to other recipients, please "
                    "verify a domain at resend.com/domains, and change the `from` address "
                    "to an email using this domain.",
                )
        elif self.account.domains.get(domain) != "verified":
            return self.error(
                403,
                "validation_error",
                f"The {domain} domain is not verified. Please, add and verify your domain "
                "on https://resend.com/domains",
            )
        return None

    @staticmethod
    def error(status: int, name: str, message: str, headers: dict | None = None):
        return Failure(status=status, name=name, message=message, headers=headers or {})

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answer in one round trip, as a real API does

            def log_message(self, format, *args) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                # The path as sent: http.server folds a leading "//" that Resend would not.
                raw_path = self.requestline.split()[1]
                result = fake.answer(self.command, raw_path, headers, body)
                if isinstance(result, Failure):
                    if result.sleep:
                        time.sleep(result.sleep)
                    if result.drip:
                        self._drip(result.drip)
                        return
                    if result.drop:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if result.deliver_first:  # the client gave up long ago
                        self.close_connection = True
                        return
                    status, extra, data = (
                        result.status,
                        result.headers,
                        {
                            "statusCode": result.status,
                            "name": result.name,
                            "message": result.message,
                        },
                    )
                else:
                    status, extra, data = result
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def _drip(self, interval: float) -> None:
                """Answer 200 at once, then the body one byte at a time, for a minute."""
                self.close_connection = True
                length = int(60 / interval)
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(length))
                    self.end_headers()
                    for _ in range(length):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(interval)
                except OSError:  # the client hung up
                    return

            do_GET = do_POST = _handle

        return Handler
