"""Development keeps its generated secrets in .local/, readable by their owner only."""

import importlib
import os
import stat
import sys
from pathlib import Path

import pytest


@pytest.fixture
def development(monkeypatch):
    """settings.development, imported without touching the checkout's own .local/."""
    monkeypatch.setenv("SECRET_KEY", "set-for-this-import-only")
    monkeypatch.setenv("HYGATE_ENCRYPTION_KEY", "PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8=")
    monkeypatch.delitem(sys.modules, "settings.development", raising=False)
    module = importlib.import_module("settings.development")
    yield module
    sys.modules.pop("settings.development", None)


def test_a_new_key_file_is_private_even_under_a_permissive_umask(
    development, tmp_path, monkeypatch
):
    monkeypatch.setattr(development, "BASE_DIR", tmp_path)
    previous = os.umask(0)
    try:
        secret = development._local_secret("secret_key", lambda: "s3cret")
    finally:
        os.umask(previous)
    assert secret == "s3cret"
    assert stat.S_IMODE((tmp_path / ".local" / "secret_key").stat().st_mode) == 0o600
    assert development._local_secret("secret_key", lambda: "other") == "s3cret"


def test_a_symlink_planted_in_local_does_not_carry_the_key_elsewhere(
    development, tmp_path, monkeypatch
):
    """Another local user plants .local/secret_key -> a file they can read."""
    monkeypatch.setattr(development, "BASE_DIR", tmp_path)
    folder, loot = tmp_path / ".local", tmp_path / "world-readable" / "loot"
    folder.mkdir()
    loot.parent.mkdir()
    (folder / "secret_key").symlink_to(loot)

    with pytest.raises(OSError):
        development._local_secret("secret_key", lambda: "s3cret")
    assert not loot.exists()


@pytest.mark.parametrize(
    ("host", "site_url"),
    [
        ("127.0.0.1:8000", "http://localhost:8000"),
        ("127.0.0.1:8100", "http://localhost:8100"),
        ("localhost:8100", "http://localhost:8100"),
        ("[::1]:8100", "http://localhost:8100"),
        ("0.0.0.0:8100", "http://localhost:8100"),
        ("8100", "http://localhost:8100"),
        ("192.168.1.20:8100", "http://192.168.1.20:8100"),
        ("[2001:db8::5]:8100", "http://[2001:db8::5]:8100"),
        ("portal.lan:8100", "http://portal.lan:8100"),
    ],
)
def test_the_site_url_follows_make_runs_host_with_localhost_for_loopback(
    development, host, site_url
):
    assert development.site_url_for_host(host) == site_url


def test_make_run_on_another_port_puts_that_port_in_the_links_of_e_mail(monkeypatch):
    monkeypatch.delenv("HYGATE_SITE_URL", raising=False)
    monkeypatch.setenv("HYGATE_DEV_HOST", "127.0.0.1:8100")
    monkeypatch.setenv("SECRET_KEY", "set-for-this-import-only")
    monkeypatch.setenv("HYGATE_ENCRYPTION_KEY", "PhuWkpQ9QkeK7mFMdHVLSf4GcVCXClcRvoTVBpjBlA8=")
    monkeypatch.delitem(sys.modules, "settings.development", raising=False)
    try:
        assert importlib.import_module("settings.development").HYGATE_SITE_URL == (
            "http://localhost:8100"
        )
        monkeypatch.delenv("HYGATE_DEV_HOST")
        monkeypatch.delitem(sys.modules, "settings.development")
        assert importlib.import_module("settings.development").HYGATE_SITE_URL == (
            "http://localhost:8000"
        )
        monkeypatch.setenv("HYGATE_SITE_URL", "https://id.example.com/")
        monkeypatch.delitem(sys.modules, "settings.development")
        assert importlib.import_module("settings.development").HYGATE_SITE_URL == (
            "https://id.example.com"
        )
    finally:
        sys.modules.pop("settings.development", None)


def test_make_run_hands_its_host_to_the_settings():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "run: export HYGATE_DEV_HOST = $(HOST)" in makefile


def test_hygates_cookies_keep_apart_from_a_django_app_on_another_port(development):
    """Browsers keep one cookie jar for every port of localhost: an app run beside Hygate
    (README, "Sign your apps in with Hygate") must not overwrite Hygate's session, nor
    Hygate the app's, or the app never finds the state its sign-in started with."""
    from django.conf import global_settings

    assert development.SESSION_COOKIE_NAME != global_settings.SESSION_COOKIE_NAME
    assert development.CSRF_COOKIE_NAME != global_settings.CSRF_COOKIE_NAME
