"""Development keeps its generated secrets in .local/, readable by their owner only."""

import importlib
import os
import stat
import sys

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
