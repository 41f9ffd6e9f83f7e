"""One canonical form of an e-mail address, so that one mailbox is one account and one budget.

The canonical form is the local part NFKC-normalised and case-folded, and the domain in
its IDNA (UTS 46) ASCII form: `ſAM@Exämple.org` is `sam@xn--exmple-cua.org`. It is
computed once, where a form reads an address; stored; and compared with `=`, never with
a database's case-insensitive match (PostgreSQL's UPPER() folds `ſ` to `S` and `ı` to
`I`, so `iexact` joined addresses that Python's `.lower()` kept apart). A look-alike
domain such as `mıs.com` is another domain (`xn--ms-hpa.com`), so it squats nothing.

What cannot be made canonical is refused: a local part that is not ASCII once folded
(`ı` and `İ` slip through Django's validator) or that is quoted (`"sam"@x.com` is the
mailbox `sam@x.com`, with endless quoted spellings), a domain that is not valid IDNA, and an
address longer than 254 characters in its canonical form.
"""

import unicodedata

import idna
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

MAX_LENGTH = 254

# What a person sees when an address is refused, by code.
ERRORS = {
    "invalid": "Enter a valid e-mail address, like name@example.com.",
    "address_local_part": (
        "Use only the letters a to z, digits and . ! # $ % & ' * + - / = ? ^ _ ` { | } ~ "
        "before the @."
    ),
    "address_domain": (
        "The part after the @ is not a domain name mail can be sent to. Check it for "
        "mistyped or look-alike letters."
    ),
    "address_too_long": (
        f"That address is too long: at most {MAX_LENGTH} characters, with the domain "
        "written in its xn-- form."
    ),
}


def _refuse(code: str) -> ValidationError:
    return ValidationError(ERRORS[code], code=code)


def _fold(text: str) -> str:
    # NFKC again after folding: case folding can leave a string that is not in NFKC.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _canonical_domain(domain: str) -> str:
    if domain.startswith("[") and domain.endswith("]"):  # an address literal, [192.0.2.1]
        if not domain.isascii():
            raise _refuse("address_domain")
        return domain.lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise _refuse("address_domain") from None


def canonical_email(value: str) -> str:
    """Return the canonical form of an address, or raise ValidationError saying why not."""
    local, at, domain = str(value).strip().rpartition("@")
    if not at or not local or not domain:
        raise _refuse("invalid")
    local = _fold(local)
    # A quoted local part is the same mailbox as the bare one ("sam"@x.com is sam@x.com,
    # RFC 5321 2.4) and has endless spellings ("s\\am"): only the bare form is accepted.
    if not local.isascii() or local.startswith('"'):
        raise _refuse("address_local_part")
    address = f"{local}@{_canonical_domain(domain)}"
    if len(address) > MAX_LENGTH:
        raise _refuse("address_too_long")
    try:
        validate_email(address)
    except ValidationError:
        raise _refuse("invalid") from None
    return address


def email_key(value: str) -> str:
    """Return the form to look an address up or count it by; never raises.

    The canonical form when there is one; otherwise the value trimmed and case-folded,
    which matches no stored address (they are all canonical) and keeps one counter for
    every spelling of the same junk.
    """
    try:
        return canonical_email(value)
    except ValidationError:
        return _fold(str(value).strip())


class EmailAddressField(forms.EmailField):
    """Django's e-mail form field that answers the canonical form, or refuses by code."""

    def clean(self, value: str) -> str:
        value = super().clean(value)
        return canonical_email(value) if value else value


class CanonicalEmailField(models.EmailField):
    """An e-mail address stored, and compared in every look-up, in its canonical form.

    `full_clean()` (the admin, `createsuperuser`) stores the canonical form, and a look-up
    such as `filter(email=typed)` compares the canonical form of what was typed.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return canonical_email(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return email_key(value) if value else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": EmailAddressField, **kwargs})
