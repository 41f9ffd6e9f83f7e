"""Context words a password must not be built from, gathered from every app that knows some.

core imports no app, so an app that knows words tied to a person (organisations knows the
names of the teams they belong to) registers a provider here in its AppConfig.ready(),
like core.purge. accounts' password validator asks every provider for a user's words.
"""

from collections.abc import Callable, Iterable
from typing import Any

# A provider takes the user (maybe unsaved: pk None at sign-up) and returns words.
WordProvider = Callable[[Any], Iterable[str]]

_providers: dict[str, WordProvider] = {}


def register(label: str, provider: WordProvider) -> None:
    """Add a provider of context words; `label` names them in the error, e.g. "your e-mail"."""
    _providers[label] = provider


def words_for(user: Any) -> dict[str, list[str]]:
    """Return every registered provider's words for the user, by label."""
    return {label: [w for w in provider(user) if w] for label, provider in _providers.items()}
