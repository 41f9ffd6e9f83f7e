"""A real browser signs in to another app through Hygate and lands on the app's redirect URI.

The site's CSP says `form-action 'self'`, and Chromium applies it to the redirects that
follow a form POST: the sign-in form's answer redirects to /o/authorize/, which redirects
to the app, on another origin. These tests prove the browser gets there: a tiny app on
another loopback port answers the redirect URI.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import Page, expect

from oidc import flows, keys
from tests.factories import UserFactory


class _App(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>Team wiki</title><h1>App landed</h1>")

    def log_message(self, *args):
        pass


@pytest.fixture
def app_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def register(callback: str, trusted: bool):
    keys.forget()
    app, secret = flows.register_app(
        None,
        flows.AppSettings("Team wiki", [callback], [], public=False, trusted=trusted),
        by=None,
    )
    return app, secret


def authorization_url(live_server, app, callback) -> tuple[str, str]:
    session = OAuth2Session(app.client_id, redirect_uri=callback, scope="openid email")
    url, state = session.create_authorization_url(
        f"{live_server.url}/o/authorize/", nonce="n-0S6_WzA2Mj", code_verifier="v" * 48
    )
    return url, state


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_the_sign_in_form_leads_straight_to_a_trusted_app(page, live_server, app_server, password):
    callback = f"{app_server}/oidc/callback/"
    app, _ = register(callback, trusted=True)
    ada = UserFactory(email="ada@example.com")
    url, state = authorization_url(live_server, app, callback)

    page.goto(url)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_text("to continue to Team wiki")).to_be_visible()
    sign_in(page, ada.email, password)

    expect(page.get_by_role("heading", name="App landed")).to_be_visible()
    landed = urlsplit(page.url)
    assert f"{landed.scheme}://{landed.netloc}" == app_server
    assert landed.path == "/oidc/callback/"
    answer = parse_qs(landed.query)
    assert answer["state"] == [state] and answer["code"]


def test_the_consent_form_leads_to_the_app(page, live_server, app_server, password):
    callback = f"{app_server}/oidc/callback/"
    app, _ = register(callback, trusted=False)
    ada = UserFactory(email="ada@example.com")
    url, state = authorization_url(live_server, app, callback)

    page.goto(url)
    sign_in(page, ada.email, password)
    expect(page.get_by_role("heading", name="Sign in to Team wiki with Hygate?")).to_be_visible()
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", name="App landed")).to_be_visible()
    answer = parse_qs(urlsplit(page.url).query)
    assert answer["state"] == [state] and answer["code"]


def test_deny_leads_to_the_app_with_access_denied(page, live_server, app_server, password):
    callback = f"{app_server}/oidc/callback/"
    app, _ = register(callback, trusted=False)
    ada = UserFactory(email="ada@example.com")
    url, state = authorization_url(live_server, app, callback)

    page.goto(url)
    sign_in(page, ada.email, password)
    page.get_by_role("button", name="Deny").click()

    expect(page.get_by_role("heading", name="App landed")).to_be_visible()
    answer = parse_qs(urlsplit(page.url).query)
    assert answer["error"] == ["access_denied"] and answer["state"] == [state]
