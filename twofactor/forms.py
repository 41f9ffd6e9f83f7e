"""Forms of the authenticator app's set-up and Settings -> Security; their messages, by code."""

from django import forms

from accounts.codes import CODE_DIGITS
from accounts.forms import ERRORS as ACCOUNT_ERRORS
from accounts.forms import AddressedCodeForm, CodeForm, PageForm
from twofactor import recovery_codes, trust
from twofactor.models import SecurityPolicy
from twofactor.totp import DIGITS

ERRORS = {
    "second_step_code_format": f"Enter the {CODE_DIGITS}-digit code.",
    "recovery_format": "Enter a recovery code: 10 letters and digits, like abcde-fghij.",
    "recovery_refused": "That recovery code is not right, or it was already used.",
    "second_step_locked": (
        "Too many wrong codes were entered for this account. Its second step is locked for "
        "{when}; we have told the account's owner by e-mail."
    ),
    "code_format": f"Enter the {DIGITS}-digit code your authenticator app shows.",
    "code_refused": (
        "That code is not right, or it was already used. Wait for the next code in the app "
        "and check that your phone's clock is set automatically."
    ),
}

POLICY_HELP = {
    "off": "No second step, except for people who set up an authenticator app themselves: "
    "they are always asked for it.",
    "email": "Every sign-in needs a 6-digit code e-mailed to the account's address "
    "(valid 5 minutes).",
    "totp": "Everyone needs an authenticator app. People without one set it up right after "
    "their password, at their next sign-in.",
    "either": "An e-mailed code or an authenticator app's code: people pick at the second "
    "step. People without an app get an e-mailed code.",
}


class TotpCodeForm(CodeForm):
    """A code from the authenticator app being set up."""

    format_message = ERRORS["code_format"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from the app"


class SecurityPolicyForm(forms.Form):
    two_factor_policy = forms.ChoiceField(
        label="Two-factor sign-in",
        choices=[
            (value, f"{label}: {POLICY_HELP[value]}")
            for value, label in SecurityPolicy.TwoFactor.choices
        ],
        widget=forms.RadioSelect,
    )


class SecondStepCodeForm(AddressedCodeForm):
    """The 6-digit code of the second step: e-mailed, or from the authenticator app."""

    format_message = ERRORS["second_step_code_format"]
    format_code = "second_step_code_format"
    check_errors = {**ACCOUNT_ERRORS, **ERRORS}
    trust_browser = trust.checkbox("id_trust_browser")


class RecoveryCodeForm(PageForm):
    recovery_code = forms.CharField(
        label="Recovery code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": ERRORS["recovery_format"]},
    )
    trust_browser = trust.checkbox("id_recovery_trust_browser", explained=False)

    def clean_recovery_code(self) -> str:
        code = recovery_codes.normalise(self.cleaned_data["recovery_code"])
        if not recovery_codes.looks_like_code(code):
            raise forms.ValidationError(ERRORS["recovery_format"], code="recovery_format")
        return code
