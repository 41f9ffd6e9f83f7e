"""Every page sends the security headers of the contract."""

import importlib
import sys
from types import ModuleType

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/nowhere/"])
def test_every_page_sends_security_headers(client, path):
    response = client.get(path)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def assert_security_headers(response) -> None:
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_a_request_for_a_host_we_do_not_serve_gets_a_bad_request_page_with_the_headers(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert_security_headers(response)


def settings_module(name: str, monkeypatch) -> ModuleType:
    """Import settings.<name> afresh, with the secrets production insists on."""
    import settings.base

    key = "PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8="
    monkeypatch.setattr(settings.base, "SECRET_KEY", "set-for-this-import-only")
    monkeypatch.setattr(settings.base, "HYGATE_ENCRYPTION_KEY", [key])
    monkeypatch.setenv("HYGATE_ENCRYPTION_KEY", key)
    monkeypatch.setenv("SECRET_KEY", "set-for-this-import-only")
    monkeypatch.delitem(sys.modules, f"settings.{name}", raising=False)
    module = importlib.import_module(f"settings.{name}")
    monkeypatch.delitem(sys.modules, f"settings.{name}")
    return module


@pytest.mark.django_db
@pytest.mark.parametrize("environment", ["production", "development"])
@pytest.mark.parametrize("path", ["/static/hygate/hygate.css", "/static/admin/css/base.css"])
def test_static_files_are_served_with_the_headers(environment, path, settings, monkeypatch):
    module = settings_module(environment, monkeypatch)
    settings.MIDDLEWARE = module.MIDDLEWARE
    settings.INSTALLED_APPS = module.INSTALLED_APPS
    # Serve from the source folders, as under `make run`, instead of a collected STATIC_ROOT.
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True

    response = Client().get(path)
    assert response.status_code == 200
    assert_security_headers(response)


def test_make_run_serves_static_files_through_the_middleware_not_around_it(monkeypatch):
    """runserver's own static handler would skip every middleware, and so every header."""
    module = settings_module("development", monkeypatch)
    apps = module.INSTALLED_APPS
    assert apps.index("whitenoise.runserver_nostatic") < apps.index("django.contrib.staticfiles")
