"""Forms for the organisation pages; every user-facing error message lives here, by code."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.forms import validate_public_name
from core.addresses import EmailAddressField, canonical_email
from organisations.models import Role

ERRORS = {
    "already_member": "{email} is already a member of this organisation. No invitation was sent.",
    "daily_limit": (
        "This organisation has sent as many invitations as a day allows ({limit}). "
        "Try again in about {hours} hours."
    ),
    "daily_limit_inviter": (
        "You have sent as many invitations as a day allows ({limit}). "
        "Try again in about {hours} hours."
    ),
    "cap_inviter": (
        "You have invited as many people as a day allows ({limit}). "
        "Try again in about {hours} hours."
    ),
    "cap_new_account": (
        "Accounts in their first {days} days may invite {limit} people a day. "
        "Try again in about {hours} hours."
    ),
    "cap_site": (
        "This site has sent as many invitations today as this site allows. "
        "Try again in about {hours} hours."
    ),
    "bulk_daily_cap": "over the daily cap of invitations, not invited",
    "send_failed": (
        "We could not send the invitation e-mail to {email}. The invitation is kept: "
        "use “Resend” to try again."
    ),
    "last_owner": ("An organisation needs at least one owner. Make someone else an owner first."),
    "pending_for_higher_role": (
        "{email} already has a pending invitation as {role}; only an owner can change it."
    ),
    "not_open": "That invitation has already been answered or revoked.",
    "bulk_empty": "Paste at least one address, one a line.",
    "bulk_too_many": "Paste at most {limit} addresses at once; this list has {count}.",
    "bulk_malformed": "not an e-mail address",
    "bulk_role": "not a role you may give",
    "bulk_duplicate": "listed twice",
    "bulk_member": "already a member",
    "bulk_pending_higher": "has a pending invitation with a role you may not give",
    "gone": "That person is no longer a member.",
    "busy": "Please try again in a moment.",
    "name_blank": "Give the organisation a name.",
    "invitation_expired": (
        "This invitation has expired. Ask the person who invited you to send a new one."
    ),
    "invitation_revoked": (
        "This invitation was withdrawn. Ask the person who invited you if you should still join."
    ),
    "invitation_declined": (
        "This invitation was declined. Ask the person who invited you to send a new one."
    ),
    "invitation_accepted": (
        "This invitation has already been used. Ask the person who invited you for a new one."
    ),
    # Purged after expiry, replaced by a newer link, or never issued: nothing left to name.
    "invitation_unknown": (
        "It has expired, been replaced by a newer one or been withdrawn. Ask the person who "
        "invited you to send a new one."
    ),
}


def message_for(code: str, **params: object) -> str:
    """Return the message of an error code, filled in."""
    return ERRORS[code].format(**params)


def role_choices(roles: list[str]) -> list[tuple[str, str]]:
    return [(role, Role(role).label) for role in roles]


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={"required": ERRORS["name_blank"]},
    )

    def clean_name(self) -> str:
        # The name goes into invitation e-mails: no line breaks to fake a paragraph with,
        # no direction overrides to make a link read backwards, no way to reach a lure's writer.
        return validate_public_name(self.cleaned_data["name"])


class InvitationForm(forms.Form):
    email = EmailAddressField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args, roles: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(roles)
        self.fields["role"].initial = Role.MEMBER


class RoleForm(forms.Form):
    """A member's new role; whether the actor may give it is the flow's to decide."""

    role = forms.ChoiceField(label="Role", choices=Role.choices)


BULK_LIMIT = 1000


class BulkInvitationForm(forms.Form):
    """A pasted list: one address a line, or `address,role`; each line is checked alone.

    After validation, `entries` holds the (address, role) pairs to invite, `duplicates` the
    addresses listed twice, and `refused` the (line, reason) pairs that were not understood.
    """

    emails = forms.CharField(
        label="Addresses, one a line (address, or address,role)",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": ERRORS["bulk_empty"]},
    )
    role = forms.ChoiceField(label="Role, unless a line names one")

    def __init__(self, *args, roles: list[str], **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_bulk_%s")  # the page's other form has a `role` too
        super().__init__(*args, **kwargs)
        self.roles = roles
        self.fields["role"].choices = role_choices(roles)
        self.fields["role"].initial = Role.MEMBER
        self.entries: list[tuple[str, str]] = []
        self.duplicates: list[str] = []
        self.refused: list[tuple[str, str]] = []

    def clean_emails(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["emails"].splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            raise ValidationError(ERRORS["bulk_empty"], code="bulk_empty")
        if len(lines) > BULK_LIMIT:
            raise ValidationError(
                message_for("bulk_too_many", limit=BULK_LIMIT, count=len(lines)),
                code="bulk_too_many",
            )
        return lines

    def clean(self) -> dict:
        data = super().clean()
        if "emails" not in data or "role" not in data:
            return data
        seen: set[str] = set()
        for line in data["emails"]:
            address, _, role = (part.strip() for part in line.partition(","))
            role = role.lower() or data["role"]
            try:
                validate_email(address)
                address = canonical_email(address)
            except ValidationError:
                self.refused.append((line, ERRORS["bulk_malformed"]))
                continue
            if role not in self.roles:
                self.refused.append((line, ERRORS["bulk_role"]))
                continue
            if address in seen:
                self.duplicates.append(address)
                continue
            seen.add(address)
            self.entries.append((address, role))
        return data
