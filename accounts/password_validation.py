"""Password validators of our own: context words (ASVS 6.2.11) and breached passwords (6.2.12).

Both work for a user not saved yet (sign-up: pk None) and for a saved one (reset, change).
"""

import functools
import hashlib
import logging
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

from core import password_words

logger = logging.getLogger("hygate.passwords")

# Look-alike characters people swap into words; each group folds to its first letter, on
# both sides, so "Hyg4te", "HYGATE" and "hyg@te" all read "hygate" (and "l", "1" and "i"
# read the same, whichever a person meant).
_LOOKALIKES = {
    "0": "o",
    "1": "i",
    "l": "i",
    "!": "i",
    "|": "i",
    "3": "e",
    "4": "a",
    "@": "a",
    "5": "s",
    "$": "s",
    "7": "t",
    "+": "t",
}
SITE_WORDS_LABEL = "the site's name"
EMAIL_WORDS_LABEL = "your e-mail address"


def normalise(text: str) -> str:
    """Fold case, accents and look-alike characters, and drop separators."""
    # Drop accents but keep every other letter: a password in Greek or Chinese keeps its length.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(_LOOKALIKES.get(ch, ch) for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in folded if ch.isalnum())


def _words_of(text: str) -> list[str]:
    """Return the text whole and each of its parts split on separators."""
    parts = re.split(r"[\s._\-+@]+", text)
    return [text, *parts]


def site_words(user: Any) -> list[str]:
    """Return the site's name, "hygate", and the labels of the site's host name."""
    host = urlsplit(settings.HYGATE_SITE_URL).hostname or ""
    labels = [] if re.fullmatch(r"[\d.:]+", host) else host.split(".")
    return ["hygate", *_words_of(settings.HYGATE_SITE_NAME), *labels]


def email_words(user: Any) -> list[str]:
    """Return the parts of the user's e-mail: local part and domain labels, split on . _ - +."""
    email = (getattr(user, "email", "") or "").strip()
    local, _, domain = email.rpartition("@")
    if not local:
        return []
    return [*_words_of(local), *(word for label in domain.split(".") for word in _words_of(label))]


class ContextWordsValidator:
    """Refuse a password made mostly of words tied to the person or the site.

    After normalising (see `normalise`), every context word of at least `min_word_length`
    characters is removed from the password wherever it appears, longest first. When at
    least one was found and fewer than `min_remaining` characters are left, the password is
    refused: what is left would be too short to be a password by itself.
    """

    def __init__(self, min_word_length: int = 4, min_remaining: int = 8) -> None:
        self.min_word_length = min_word_length
        self.min_remaining = min_remaining

    def _context(self, user: Any) -> list[tuple[str, str]]:
        found = []
        for label, words in password_words.words_for(user).items():
            for word in words:
                folded = normalise(word)
                if len(folded) >= self.min_word_length:
                    found.append((folded, label))
        return sorted(set(found), key=lambda pair: -len(pair[0]))

    def validate(self, password: str, user: Any = None) -> None:
        rest = normalise(password)
        labels: list[str] = []
        for word, label in self._context(user):
            if word in rest:
                rest = rest.replace(word, "")
                if label not in labels:
                    labels.append(label)
        if labels and len(rest) < self.min_remaining:
            raise ValidationError(
                "This password is made mostly of %(what)s, which an attacker tries first. "
                "Add words of your own that have nothing to do with you or this site.",
                code="password_context_words",
                params={"what": " and ".join(labels)},
            )

    def get_help_text(self) -> str:
        return (
            # Curly apostrophes, as Django's own rules write them in the same list.
            "Your password can\u2019t be made mostly of the site\u2019s name, your e-mail "
            "address or the names of your organisations."
        )


@functools.cache
def _bundled_breached() -> frozenset[str]:
    # Django's list of the 20,000 most common passwords (lowercased), shipped with Django.
    return frozenset(CommonPasswordValidator().passwords)


class BreachedPasswordValidator:
    """Refuse a password found in Have I Been Pwned's Pwned Passwords.

    Settings list it when HYGATE_PWNED_PASSWORDS is on (the default under production).

    k-anonymity: only the first 5 hex characters of the password's SHA-1 leave the server;
    the service answers every suffix under that prefix (padded with decoys) and the match is
    made here. If the service cannot answer, the password must still not be on the bundled
    list of the most common breached passwords (Django's 20,000), with a WARNING logged.
    """

    def validate(self, password: str, user: Any = None) -> None:
        digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
        prefix, suffix = digest[:5], digest[5:]
        suffixes = self._suffixes(prefix)
        if suffixes is None:
            breached = password.lower().strip() in _bundled_breached()
        else:
            breached = suffixes.get(suffix, 0) > 0
        if breached:
            raise ValidationError(
                "This password has appeared in a data breach, so attackers try it early. "
                "Choose another one.",
                code="password_breached",
            )

    def _suffixes(self, prefix: str) -> dict[str, int] | None:
        """Return the breach counts under the prefix, or None when the service fails."""
        try:
            response = requests.get(
                settings.HYGATE_PWNED_PASSWORDS_URL + prefix,
                headers={"Add-Padding": "true", "User-Agent": "Hygate password check"},
                timeout=settings.HYGATE_PWNED_PASSWORDS_TIMEOUT,
            )
        except requests.RequestException as error:
            # The exception's text may hold the URL, which holds the prefix: log the type only.
            logger.warning(
                "Pwned Passwords could not be reached (%s); the password was checked "
                "against the bundled list of common breached passwords only",
                type(error).__name__,
            )
            return None
        if response.status_code != 200:
            logger.warning(
                "Pwned Passwords answered HTTP %s; the password was checked against the "
                "bundled list of common breached passwords only",
                response.status_code,
            )
            return None
        counts: dict[str, int] = {}
        for line in response.text.splitlines():
            found_suffix, _, count = line.strip().partition(":")
            if count.isdigit():
                counts[found_suffix.upper()] = int(count)
        return counts

    def get_help_text(self) -> str:
        return "Your password can't be one that has appeared in a known data breach."
