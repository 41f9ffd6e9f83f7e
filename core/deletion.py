"""Why an object may not be deleted: apps above register guards, the admin asks them.

core imports no app, so an app that must veto a deletion (organisations: a user who is the
last owner of an organisation) registers a guard in its AppConfig.ready(). A guard takes the
objects about to be deleted and returns what stops it, one sentence per reason; the admin
shows these as the protected objects of its delete page, and the app's own pre_delete
receiver raises ProtectedError for every other code path.
"""

from collections.abc import Callable, Iterable
from typing import Any

Guard = Callable[[list[Any]], list[str]]
_guards: dict[str, list[Guard]] = {}


def register(model_label: str, guard: Guard) -> None:
    """Add a guard for deletions of the model `app_label.ModelName`."""
    _guards.setdefault(model_label, []).append(guard)


def blockers(model_label: str, objects: Iterable[Any]) -> list[str]:
    """Return every reason the registered guards give against deleting these objects."""
    objects = list(objects)
    return [reason for guard in _guards.get(model_label, []) for reason in guard(objects)]
