"""Forms for the account pages; every user-facing error message lives here, by code."""

import re
import time
import unicodedata

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest

from accounts.codes import CODE_DIGITS, normalise_code
from accounts.models import User
from core.addresses import EmailAddressField, email_key

ERRORS = {
    "invalid_login": "That e-mail address and password do not match an account.",
    "code_format": f"Enter the {CODE_DIGITS}-digit code from the e-mail.",
    "incorrect": "That code is not right. You have {attempts_left} more {tries}.",
    "expired": "That code has expired. Ask for a new code below.",
    "too_many_attempts": (
        "That code no longer works after too many wrong tries. Ask for a new code below."
    ),
    "used": "That code has already been used. Ask for a new code below.",
    "locked": (
        "Too many wrong codes were entered for this address. Entering codes is locked for "
        "{when}; we have told the address's owner by e-mail."
    ),
    "name_characters": "A name cannot contain line breaks or other control characters.",
    # Names reach strangers' inboxes in invitations: no way to reach the writer but the link.
    "name_url": "A name cannot contain a web address or a domain name (such as example.com).",
    "name_email": "A name cannot contain an e-mail address.",
    "name_phone": "A name cannot contain a phone number.",
    "missing": "No code is waiting for this sign-in. Ask for a new code below.",
    "wrong_password": "That is not your current password.",
    "password_mismatch": "The two new passwords are not the same.",
    "same_email": "That is already the e-mail address of your account.",
    "email_changed_recently": (
        "Your address was changed less than 7 days ago, and for those 7 days the previous "
        "address can still undo that change. You can change it again from {when}."
    ),
    "other_address": (
        "That code was for {typed}, but this browser is now waiting for a code for {current} "
        "(from another tab or window). Nothing was counted. Enter the code we sent to {current}."
    ),
    "other_account": (
        "That code was for {typed}, but this browser is now signing in to {current} (from "
        "another tab or window). Nothing was counted. Enter the code for {current}."
    ),
    "email_taken_meanwhile": (
        "That address now belongs to another account, so it cannot become yours. Your "
        "address has not changed."
    ),
}

# Why no new code was sent, by SendRefusal.
SEND_REFUSALS = {
    "cooldown": "A code was sent less than a minute ago. Use it, or ask again in {when}.",
    "quota": (
        "Several codes were sent to this address in the last hour. Use the newest one, or "
        "ask again in {when}."
    ),
    "locked": ERRORS["locked"],
    # The second step, whose every sign-in needs a code of its own: no older one will do.
    "quota_none_waiting": (
        "Several codes were sent to this address in the last hour, so we did not send one "
        "now. You can ask again in {when}."
    ),
}

CARRIED_ERRORS = "hygate.carried_errors"


class PageForm(forms.Form):
    """A form on a page, GOV.UK's way.

    Focus goes to the error summary and never to a field without an error: once the form
    has errors, no field keeps its `autofocus`. After a redirect (post/redirect/get), the
    errors can be carried to the next GET of the page, once, in the session.
    """

    def full_clean(self) -> None:
        super().full_clean()
        self.errors_changed()

    def add_error(self, field: str | None, error) -> None:
        super().add_error(field, error)
        self.errors_changed()

    def errors_changed(self) -> None:
        """Settle what the widgets show now that the errors changed (a subclass adds to it)."""
        if self._errors:
            self.drop_autofocus()

    def drop_autofocus(self) -> None:
        """Let no field of this form take focus (another form on the page has the error)."""
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)

    def carry_errors(self, request: HttpRequest, page: str) -> None:
        """Keep this form's errors for the next GET of `page`; only messages, never input."""
        self._carry(request, page, self.errors.get_json_data())

    @classmethod
    def carry_error(cls, request: HttpRequest, page: str, message: str, code: str) -> None:
        """Carry one error of the whole form to the next GET of `page` (another form failed)."""
        cls._carry(request, page, {NON_FIELD_ERRORS: [{"message": message, "code": code}]})

    @classmethod
    def _carry(cls, request: HttpRequest, page: str, errors: dict) -> None:
        # What take_carried_errors() reads back, for this form class only.
        request.session[CARRIED_ERRORS] = {
            "page": page,
            "form": cls.__name__,
            "errors": errors,
            "at": time.time(),
        }

    def take_carried_errors(self, request: HttpRequest, page: str) -> None:
        """Show the errors carried to this page for this form, and forget them."""
        carried = request.session.get(CARRIED_ERRORS)
        if not isinstance(carried, dict) or carried.get("page") != page:
            return
        if carried.get("form") != type(self).__name__:
            return
        del request.session[CARRIED_ERRORS]
        if not isinstance(carried.get("at"), int | float) or time.time() - carried["at"] > 60:
            return  # the redirect was never followed: an old error would mislead now
        self._errors, self.cleaned_data = ErrorDict(renderer=self.renderer), {}
        for name, errors in carried.get("errors", {}).items():
            field = None if name == NON_FIELD_ERRORS else name
            if field is not None and field not in self.fields:
                continue
            for error in errors:
                self.add_error(field, forms.ValidationError(error["message"], code=error["code"]))


def in_words(seconds: int) -> str:
    """Say a wait the way a person would: "45 seconds", "12 minutes"."""
    if seconds >= 120:
        minutes = -(-seconds // 60)
        return f"{minutes} minutes"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _email_field(autocomplete: str) -> EmailAddressField:
    # The canonical form (core.addresses) is what every flow looks up, stores and counts.
    return EmailAddressField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": autocomplete, "autofocus": True}),
    )


def refuse_control_characters(name: str) -> str:
    """Refuse a display name with line breaks or other control or format characters."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise forms.ValidationError(ERRORS["name_characters"], code="name_characters")
    return name


# A scheme (https://), "www.", or labels joined by dots ending in letters of any script
# (evil.co.uk, пример.рф: browsers open internationalised domains too).
URL_LIKE = re.compile(
    r"[a-z][a-z0-9+.-]*://|\bwww\.|[^\W_](?:[\w-]*\.)+[^\W\d_]{2,}\b", re.IGNORECASE
)
# The dots a browser takes for "." in a domain (UTS 46) that NFKC leaves as they are.
IDEOGRAPHIC_DOTS = str.maketrans({"\u3002": ".", "\uff61": "."})
EMAIL_LIKE = re.compile(r"[^\s@]@[^\s@]")
# Seven or more digits in one run, with spaces, dots, dashes, slashes or brackets between.
PHONE_LIKE = re.compile(r"\+?\d(?:[\s().\-/]*\d){6,}")


def refuse_contact_details(name: str) -> str:
    """Refuse a name that carries a web address, an e-mail address or a phone number.

    Display names and organisation names are printed in invitations to strangers; a lure
    needs a way back to its writer, and these are the ways. NFKC first, so fullwidth dots
    and digits count as the plain ones they look like, and so do the ideographic full
    stops a browser reads as dots in a domain (evil。com).
    """
    folded = unicodedata.normalize("NFKC", name).translate(IDEOGRAPHIC_DOTS)
    for pattern, code in (
        (EMAIL_LIKE, "name_email"),
        (URL_LIKE, "name_url"),
        (PHONE_LIKE, "name_phone"),
    ):
        if pattern.search(folded):
            raise forms.ValidationError(ERRORS[code], code=code)
    return name


def validate_public_name(name: str) -> str:
    """Apply every rule a name shown to other people follows (display or organisation)."""
    return refuse_contact_details(refuse_control_characters(name))


def _name_field() -> forms.CharField:
    return forms.CharField(
        label="Name (optional)",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class SignupForm(PageForm):
    email = _email_field("email")
    name = _name_field()
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_name(self) -> str:
        return validate_public_name(self.cleaned_data["name"])

    def clean(self) -> dict:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class LoginForm(PageForm):
    email = _email_field("username webauthn")  # conditional mediation
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(
        label="Keep me signed in on this device",
        required=False,
        initial=True,
        help_text="Untick on a shared computer: you are then signed out when the browser closes.",
    )


class CodeForm(PageForm):
    """A 6-digit code from an e-mail or an app: spaces and dashes dropped, ASCII digits only.

    Subclasses say where the code comes from with their label and format message.
    """

    format_message = ERRORS["code_format"]
    format_code = "code_format"

    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].error_messages["required"] = self.format_message

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(self.format_message, code=self.format_code)
        return code

    # Where add_check_error finds its words (a form of another app adds its own).
    check_errors = ERRORS

    def add_check_error(self, outcome: str, attempts_left: int = 0, wait: int = 0) -> None:
        """Show why the code was refused, next to the field."""
        message = self.check_errors[outcome].format(
            attempts_left=attempts_left,
            tries="try" if attempts_left == 1 else "tries",
            when=in_words(wait),
        )
        self.add_error("code", forms.ValidationError(message, code=outcome))


class AddressedCodeForm(CodeForm):
    """A code form that names the address it is for, in a hidden field.

    Two tabs of one browser share one session: a code typed in a tab opened for another
    address is then refused before it is checked, so it spends no try of the address
    this browser now waits for. Forms posted without the field (older pages) still work.
    """

    email = forms.CharField(required=False, max_length=254, widget=forms.HiddenInput)

    def is_for(self, address: str) -> bool:
        """Say whether the code was typed on a page for this address (or names none)."""
        typed = self.cleaned_data.get("email", "")
        return not typed or email_key(typed) == email_key(address)

    def refuse_other_address(self, current: str, *, code: str = "other_address") -> None:
        """Say that the code was typed on a page for another address; nothing was counted."""
        message = ERRORS[code].format(typed=self.cleaned_data.get("email", ""), current=current)
        self.add_error(None, forms.ValidationError(message, code=code))


class VerificationCodeForm(AddressedCodeForm):
    """The code that confirms the address a newcomer signed up with."""


class PasswordResetRequestForm(PageForm):
    email = _email_field("email")


class ProfileForm(PageForm):
    """The display name, under the same rules as at sign-up."""

    name = _name_field()

    def clean_name(self) -> str:
        return validate_public_name(self.cleaned_data["name"])


def _new_password_field(label: str, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", **attrs}),
    )


def check_new_passwords(form: forms.Form, user: User) -> None:
    """Compare the two new passwords, then apply the password rules to the first one.

    A rule's error sits under the new password, where the choice was made; a mismatch
    sits under the repetition, the one field to type again.
    """
    first, second = form.cleaned_data.get("new_password1"), form.cleaned_data.get("new_password2")
    if first and second and first != second:
        form.add_error(
            "new_password2",
            forms.ValidationError(ERRORS["password_mismatch"], code="password_mismatch"),
        )
    elif first:
        try:
            password_validation.validate_password(first, user)
        except forms.ValidationError as error:
            form.add_error("new_password1", error)


class NewPasswordChecks:
    """A form for `user` whose new password, typed twice, is checked against the rules."""

    def __init__(self, user: User, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields[
            "new_password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict:
        cleaned = super().clean()
        check_new_passwords(self, self.user)
        return cleaned


class SetNewPasswordForm(NewPasswordChecks, PageForm):
    """The reset link's form: a new password, twice (Django's view calls save())."""

    new_password1 = _new_password_field("New password", autofocus=True)
    new_password2 = _new_password_field("New password confirmation")

    def save(self, commit: bool = True) -> User:
        """Set the new password on the user (and save it)."""
        self.user.set_password(self.cleaned_data["new_password1"])
        if commit:
            self.user.save()
        return self.user


class SecondFactorFields(PageForm):
    """The second factor of a step-up: the app's code or a recovery code, both optional.

    Forms that re-authenticate put these beside the password and drop them for a user
    without an authenticator app (`with_second_factor=False`).
    """

    code = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=20,
        widget=forms.TextInput(
            # Beside other fields: the sixth digit must not send the form (hygate.js).
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "size": 8,
                "data-auto-submit": "off",
            }
        ),
    )
    recovery_code = forms.CharField(
        label="Or a recovery code",
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, with_second_factor: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_second_factor:
            del self.fields["code"]
            del self.fields["recovery_code"]

    def clean_code(self) -> str:
        return normalise_code(self.cleaned_data["code"])

    def clean_recovery_code(self) -> str:
        # The factor that checks it reads it as typed (spaces, dashes, capitals).
        return self.cleaned_data["recovery_code"].strip()


class PasswordChangeForm(NewPasswordChecks, SecondFactorFields):
    """The current password (and second factor, if set up) and the new one, twice."""

    field_order = ["current_password", "code", "recovery_code", "new_password1", "new_password2"]

    current_password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = _new_password_field("New password")
    new_password2 = _new_password_field("New password again")

    def errors_changed(self) -> None:
        """Keep the current password typed when only another field was refused.

        The trade-off: the password then travels back in this one page's HTML (over HTTPS,
        never cached), which is what a password manager would fill in anyway; a refused
        current password is never shown back.
        """
        super().errors_changed()
        self.fields["current_password"].widget.render_value = bool(self._errors) and (
            "current_password" not in self._errors
        )


class EmailChangeForm(PageForm):
    email = EmailAddressField(
        label="New e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email == self.user.email:
            raise forms.ValidationError(ERRORS["same_email"], code="same_email")
        return email


# What the step-up says, by the CodeCheck of its answer (and "email_code_needed").
STEP_UP_ERRORS = {
    "wrong_password": "That password is not right.",
    "missing": "Enter the code your authenticator app shows, or one of your recovery codes.",
    "email_code_needed": "Enter the code we e-mailed you. No code yet? Ask for one below.",
    "incorrect": "That code is not right, or it was already used.",
    "locked": (
        "Too many wrong codes were entered for this account. Its second step is locked for "
        "{when}; we have told you by e-mail."
    ),
}


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class StepUpForm(SecondFactorFields, PasswordForm):
    """The password again and the second factor: an app's code, or a code e-mailed for it."""

    field_order = ["password", "code", "recovery_code"]

    def __init__(self, *args, with_email_code: bool = False, **kwargs) -> None:
        if with_email_code:
            kwargs["with_second_factor"] = True
        super().__init__(*args, **kwargs)
        if with_email_code:
            self.fields["code"].label = "Code from the e-mail"
            del self.fields["recovery_code"]

    def errors_changed(self) -> None:
        """Keep the password typed when only the code was refused (it was checked first).

        As on the password change (accounts.forms.PasswordChangeForm): the password then
        travels back in this one page (HTTPS, never cached); a refused one never does.
        """
        super().errors_changed()
        self.fields["password"].widget.render_value = bool(self._errors) and (
            "password" not in self._errors
        )
