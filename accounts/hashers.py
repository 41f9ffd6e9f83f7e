"""Argon2id with Hygate's cost parameters (see README, "Password hashing")."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class HygateArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at 64 MiB, 2 passes, 2 lanes: above OWASP's floor of 19 MiB and 2 passes.

    The algorithm name stays "argon2", so hashes made with other parameters (Django's
    defaults) still verify and are upgraded on the next successful sign-in.
    """

    time_cost = 2
    memory_cost = 64 * 1024  # KiB
    parallelism = 2
