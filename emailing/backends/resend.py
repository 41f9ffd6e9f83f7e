"""Resend over its HTTP API, through the `resend` package.

The SDK reads the API key from a module global on every request, so two sends with
different keys in two threads would race. Hygate never sets that global: it installs
`ResendHTTPClient` as `resend.default_http_client`, and each send puts its own key, API
URL and timeout in a context variable that only its own thread (or task) sees.
"""

import base64
import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.utils import getaddresses

import requests
import resend
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from emailing import provider_rate
from emailing.backends import watchdog
from emailing.backends.base import HygateEmailBackend
from emailing.config import normalise_api_url
from emailing.errors import EmailDeliveryError, from_resend
from emailing.models import Provider


@dataclass(frozen=True)
class _Credentials:
    api_key: str = field(repr=False)
    api_url: str
    timeout: float | None = None


_credentials: ContextVar[_Credentials | None] = ContextVar("resend_credentials", default=None)


class OutsideAPIBase(RuntimeError):
    """The SDK asked for a URL outside its configured API base: it is never requested."""


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    """A pool whose connection in use is cut by the attempt's watchdog at the deadline."""

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        watchdog.watch(lambda: conn.sock)
        return conn


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    """The HTTPS pool whose connection in use is cut by the attempt's watchdog."""

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        watchdog.watch(lambda: conn.sock)
        return conn


class _WatchedAdapter(HTTPAdapter):
    """A pooled adapter whose requests end at the send's deadline, however slow the answer."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }


class ResendHTTPClient(resend.HTTPClient):
    """The SDK's HTTP client: the key of the current send, a pooled session, a short timeout."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.mount("https://", _WatchedAdapter(pool_connections=4, pool_maxsize=8))
            session.mount("http://", _WatchedAdapter(pool_connections=4, pool_maxsize=8))
            self._local.session = session
        return session

    def request(self, method, url, headers, json=None, files=None, data=None):
        credentials = _credentials.get()
        if credentials is None:
            raise RuntimeError("Resend was called outside resend_credentials()")
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        if credentials.api_key:
            headers["Authorization"] = f"Bearer {credentials.api_key}"
        url = credentials.api_url + _path_under_sdk_base(url)
        timeout = credentials.timeout or self.timeout or settings.EMAIL_TIMEOUT
        try:
            response = self._session().request(
                method,
                url,
                headers=headers,
                json=json if data is None and files is None else None,
                data=data,
                files=files,
                timeout=timeout,
            )
        except requests.Timeout as error:
            raise RuntimeError(f"timed out after {timeout:g} s") from error
        except requests.RequestException as error:
            raise RuntimeError(f"connection failed ({type(error).__name__})") from error
        provider_rate.note_response(response.status_code, response.headers)
        return response.content, response.status_code, response.headers


def _path_under_sdk_base(url: str) -> str:
    """Return the path of an SDK URL below `resend.api_url`; refuse any other URL."""
    base = normalise_api_url(resend.api_url)
    if url != base and not url.startswith(base + "/"):
        # Sending it as it is would carry the key to wherever the SDK was pointed.
        raise OutsideAPIBase("the SDK asked for a URL outside its API base")
    return "/" + url[len(base) :].lstrip("/")


def install_http_client() -> None:
    """Make the SDK use Hygate's client (idempotent)."""
    if not isinstance(resend.default_http_client, ResendHTTPClient):
        resend.default_http_client = ResendHTTPClient()


@contextlib.contextmanager
def resend_credentials(api_key: str, api_url: str, timeout: float | None = None) -> Iterator[None]:
    """Let the SDK calls inside this block use this key, API URL and timeout, here only."""
    token = _credentials.set(_Credentials(api_key, normalise_api_url(api_url), timeout))
    try:
        yield
    finally:
        _credentials.reset(token)


def _translate(error: resend.exceptions.ResendError) -> EmailDeliveryError:
    if isinstance(error.__context__, OutsideAPIBase):
        return EmailDeliveryError("provider_error", error.message)
    if error.error_type == "HttpClientError":
        return EmailDeliveryError("connection_failed", error.message, retryable=True)
    try:
        status = int(error.code)
    except (TypeError, ValueError):
        status = 500
    headers = {k.lower(): v for k, v in (error.headers or {}).items()}
    return from_resend(status, error.error_type, error.message, headers.get("retry-after"))


def call_resend(
    api_key: str, api_url: str, function, *args, timeout: float | None = None, **kwargs
):
    """Call an SDK function with these credentials, turning its errors into Hygate's."""
    install_http_client()
    with resend_credentials(api_key, api_url, timeout):
        try:
            return function(*args, **kwargs)
        except resend.exceptions.ResendError as error:
            raise _translate(error) from None


def _addresses(values) -> list[str]:
    return [f"{name} <{addr}>" if name else addr for name, addr in getaddresses(list(values))]


def build_payload(message: EmailMessage) -> dict:
    """Map a Django EmailMessage to Resend's send-email parameters."""
    payload: dict = {
        "from": message.from_email,
        "to": _addresses(message.to),
        "subject": message.subject,
    }
    if message.cc:
        payload["cc"] = _addresses(message.cc)
    if message.bcc:
        payload["bcc"] = _addresses(message.bcc)
    if message.reply_to:
        payload["reply_to"] = _addresses(message.reply_to)
    body_key = "html" if message.content_subtype == "html" else "text"
    if message.body:
        payload[body_key] = message.body
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                payload["html"] = content
    if message.extra_headers:
        payload["headers"] = {str(k): str(v) for k, v in message.extra_headers.items()}
    attachments = [_attachment(item) for item in message.attachments]
    if attachments:
        payload["attachments"] = attachments
    tags = list(getattr(message, "tags", []))
    kind = getattr(message, "hygate_kind", "")
    if kind:
        tags.append({"name": "hygate_kind", "value": kind})
    if tags:
        payload["tags"] = tags
    return payload


def _attachment(item) -> dict:
    if hasattr(item, "get_payload"):  # a MIMEBase attached as is
        content = item.get_payload(decode=True) or b""
        return {
            "filename": item.get_filename() or "attachment",
            "content": base64.b64encode(content).decode(),
            "content_type": item.get_content_type(),
        }
    filename, content, mimetype = item
    if isinstance(content, str):
        content = content.encode()
    attachment = {"filename": filename, "content": base64.b64encode(content).decode()}
    if mimetype:
        attachment["content_type"] = mimetype
    return attachment


class ResendBackend(HygateEmailBackend):
    """Send through Resend's HTTP API with an Idempotency-Key that retries reuse."""

    provider = Provider.RESEND
    rate_limited = True
    batch_size = 100  # Resend's /emails/batch takes up to 100 messages

    def __init__(
        self, api_key: str = "", api_url: str = "", timeout: float | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key
        self.api_url = api_url or settings.RESEND_API_URL
        self.timeout = timeout

    def send_one(self, message: EmailMessage, idempotency_key: str) -> str:
        if not self.api_key:
            raise EmailDeliveryError("missing_api_key", "No Resend API key is configured.")
        response = call_resend(
            self.api_key,
            self.api_url,
            resend.Emails.send,
            build_payload(message),
            {"idempotency_key": idempotency_key},
            timeout=self.attempt_timeout(self.timeout or settings.EMAIL_TIMEOUT),
        )
        return str(response.get("id", ""))

    def send_many(self, messages: list[EmailMessage], idempotency_key: str) -> list[str]:
        if not self.api_key:
            raise EmailDeliveryError("missing_api_key", "No Resend API key is configured.")
        response = call_resend(
            self.api_key,
            self.api_url,
            resend.Batch.send,
            [build_payload(message) for message in messages],
            {"idempotency_key": idempotency_key},
            timeout=self.attempt_timeout(self.timeout or settings.EMAIL_TIMEOUT),
        )
        ids = [str(item.get("id", "")) for item in response.get("data", [])]
        if len(ids) != len(messages):
            raise EmailDeliveryError(
                "provider_error", f"The batch call answered {len(ids)} ids for {len(messages)}."
            )
        return ids


def list_domains(api_key: str, api_url: str) -> list[dict]:
    """Return the account's domains (name, status); needs a full-access key."""
    response = call_resend(api_key, api_url, resend.Domains.list)
    return list(response.get("data", []))
