"""Static files: the favicon, and what browsers are told about caching and compression."""

import pytest
from django.core.management import call_command
from django.test import Client

from tests.site.test_headers import settings_module

pytestmark = pytest.mark.django_db


def test_browsers_get_the_favicon_at_the_site_root(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert "max-age=604800" in response["Cache-Control"]


def test_make_run_serves_the_css_fresh_on_every_edit_and_revalidates_it(settings, monkeypatch):
    """Edits show at once (max-age=0); an unchanged file costs a 304, not its bytes."""
    module = settings_module("development", monkeypatch)
    settings.MIDDLEWARE = module.MIDDLEWARE
    settings.INSTALLED_APPS = module.INSTALLED_APPS
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_MAX_AGE = module.WHITENOISE_MAX_AGE

    first = Client().get("/static/hygate/hygate.css")
    again = Client().get("/static/hygate/hygate.css", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["Cache-Control"] == "max-age=0, public"
    assert again.status_code == 304


def test_production_serves_hashed_files_compressed_and_cached_for_a_year(
    settings, monkeypatch, tmp_path
):
    module = settings_module("production", monkeypatch)
    settings.STORAGES = module.STORAGES
    settings.STATIC_ROOT = tmp_path
    settings.MIDDLEWARE = module.MIDDLEWARE
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--noinput", verbosity=0)
    [css] = (tmp_path / "hygate").glob("hygate.*.css")
    assert (tmp_path / "hygate" / f"{css.name}.gz").exists()

    response = Client().get(f"/static/hygate/{css.name}", HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
