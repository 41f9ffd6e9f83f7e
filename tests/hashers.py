"""A quick Argon2 for the test suite: the same algorithm and code path, a fraction of the cost."""

from accounts.hashers import HygateArgon2PasswordHasher


class QuickArgon2PasswordHasher(HygateArgon2PasswordHasher):
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
