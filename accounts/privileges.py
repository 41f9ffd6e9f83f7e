"""Power over accounts: staff and superuser status, groups and permissions.

Only a superuser grants these or touches an account that holds them (`may_manage`, read by
the admin). Every change to them is an audit event however it is made, in the admin, the
shell or a script, because the signals below see model saves and many-to-many changes
(a bulk `QuerySet.update()` bypasses them, as it bypasses every signal). Granting staff or
superuser status ends all of the user's sessions: a session that signed in as a member,
perhaps without the second factor staff must use, never becomes a staff session.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from accounts import sessions
from accounts.models import User
from audit.events import Action, record

STATUS_ACTIONS = {
    "is_staff": Action.STAFF_STATUS_CHANGED,
    "is_superuser": Action.SUPERUSER_STATUS_CHANGED,
}


def may_manage(editor: Any, target: User) -> bool:
    """Say whether `editor` may change, delete or act on the account `target`.

    A superuser may act on anyone. Anyone else only on accounts that are neither staff nor
    superuser: a staff account may hold permissions the editor lacks, and changing its
    address or password would be a way to take them.
    """
    if editor.is_superuser:
        return True
    return not (target.is_staff or target.is_superuser)


@receiver(pre_save, sender=User, dispatch_uid="hygate-privileges-before")
def _remember_status(sender: type[User], instance: User, update_fields=None, **_) -> None:
    """Keep the saved staff and superuser status, to compare once the save is done."""
    if update_fields is not None and not set(update_fields) & set(STATUS_ACTIONS):
        instance._status_before = None
        return
    saved = User.objects.filter(pk=instance.pk).values(*STATUS_ACTIONS).first()
    instance._status_before = saved or dict.fromkeys(STATUS_ACTIONS, False)


@receiver(post_save, sender=User, dispatch_uid="hygate-privileges-after")
def _record_status(sender: type[User], instance: User, created: bool, **_) -> None:
    """Record each change of staff or superuser status; a grant ends the user's sessions."""
    before = getattr(instance, "_status_before", None)
    instance._status_before = None
    if before is None:
        return
    granted = False
    for field, action in STATUS_ACTIONS.items():
        now = getattr(instance, field)
        if now != before[field]:
            record(None, action, target=instance, granted=now)
            granted = granted or now
    if granted and not created:
        sessions.end_sessions_for_operator(instance, via="privileges_granted")


def _names(model: type, pks: set[int]) -> list[str]:
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).values_list(
            "content_type__app_label", "codename"
        )
        return sorted(f"{app}.{codename}" for app, codename in rows)
    return sorted(model.objects.filter(pk__in=pks).values_list("name", flat=True))


def _record_m2m(action: str, target: Any, model: type, kind: str, pks: set[int]) -> None:
    change = "added" if kind == "post_add" else "removed"
    record(None, action, target=target, **{change: _names(model, pks)})


def _on_change(audit_action: str, instance: Any, kind: str, reverse: bool, model, pk_set) -> None:
    """Record a many-to-many change from either side (user.groups or group.user_set)."""
    if kind == "pre_clear":
        # What a clear() removes is known only before it runs.
        instance._cleared = set(_related(instance, audit_action, reverse))
        return
    if kind == "post_clear":
        pk_set, instance._cleared = getattr(instance, "_cleared", set()), set()
    elif kind not in ("post_add", "post_remove"):
        return
    if not pk_set:
        return
    kind = "post_add" if kind == "post_add" else "post_remove"
    if reverse:  # the instance is the group or permission; the users are in pk_set
        for user in User.objects.filter(pk__in=pk_set):
            _record_m2m(audit_action, user, type(instance), kind, {instance.pk})
    else:
        _record_m2m(audit_action, instance, model, kind, set(pk_set))


def _related(instance: Any, audit_action: str, reverse: bool) -> list[int]:
    if reverse:  # a group's or a permission's users
        return list(instance.user_set.values_list("pk", flat=True))
    manager = (
        instance.groups if audit_action == Action.GROUPS_CHANGED else instance.user_permissions
    )
    return list(manager.values_list("pk", flat=True))


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="hygate-groups-changed")
def _groups_changed(sender, instance, action, reverse, model, pk_set, **_) -> None:
    _on_change(Action.GROUPS_CHANGED, instance, action, reverse, model, pk_set)


@receiver(
    m2m_changed, sender=User.user_permissions.through, dispatch_uid="hygate-user-perms-changed"
)
def _user_permissions_changed(sender, instance, action, reverse, model, pk_set, **_) -> None:
    _on_change(Action.PERMISSIONS_CHANGED, instance, action, reverse, model, pk_set)


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="hygate-group-perms-changed")
def _group_permissions_changed(sender, instance, action, reverse, model, pk_set, **_) -> None:
    """Record a group gaining or losing permissions: it changes what every member may do."""
    if reverse or action not in ("post_add", "post_remove"):
        return  # permission.group_set and clear() are not how the admin changes a group
    if pk_set:
        _record_m2m(Action.PERMISSIONS_CHANGED, f"group {instance.name}", model, action, pk_set)
