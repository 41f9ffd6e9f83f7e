"""Passwords are hashed with Argon2id at or above OWASP's minimum cost."""

import importlib

import pytest
from argon2 import Parameters, Type, extract_parameters
from django.utils.module_loading import import_string

from tests.factories import UserFactory


def production_hasher():
    base = importlib.import_module("settings.base")
    return import_string(base.PASSWORD_HASHERS[0])()


def test_argon2id_comes_first_with_owasp_minimum_parameters():
    hasher = production_hasher()
    assert hasher.algorithm == "argon2"
    encoded = hasher.encode("a passphrase", hasher.salt())
    params: Parameters = extract_parameters(encoded.removeprefix("argon2"))
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024  # KiB
    assert params.time_cost >= 2
    assert hasher.verify("a passphrase", encoded)


@pytest.mark.django_db
def test_stored_passwords_are_argon2id():
    user = UserFactory()
    assert user.password.startswith("argon2$argon2id$")
    assert "correct horse" not in user.password
