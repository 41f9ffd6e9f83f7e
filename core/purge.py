"""What `manage.py purge_expired` removes: each app registers its own expired things.

core imports no app, so the apps register here in their AppConfig.ready(); the command
runs every registered purger and prints how many of each kind it removed.
"""

from collections.abc import Callable

_purgers: dict[str, Callable[[], int]] = {}


def register(label: str, purger: Callable[[], int]) -> None:
    """Add a purger that returns how many things it handled; `label` says what it did to them."""
    _purgers[label] = purger


def purge_all() -> dict[str, int]:
    """Run every registered purger; return the count each removed, by label."""
    return {label: purger() for label, purger in _purgers.items()}
