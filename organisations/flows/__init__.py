"""The organisation flows: plain functions the views call once a form is valid.

A flow that a product rule stops raises `Refused` with a code naming its message in
`organisations.forms.ERRORS`; a request the actor's role does not allow raises
PermissionDenied (see `organisations.permissions`).
"""


class Refused(Exception):
    """A rule said no; `code` names the message to show."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class LimitReached(Refused):
    """The organisation, or the inviter, sent as many invitations as a day allows."""

    def __init__(self, wait: int, limit: int, code: str = "daily_limit") -> None:
        super().__init__(code, hours=max(1, round(wait / 3600)), limit=limit)
        self.wait = wait
