"""Forms of the security page and Settings -> Security; their messages live here, by code."""

from django import forms

from accounts.codes import normalise_code
from accounts.models import SecurityPolicy
from accounts.totp import DIGITS

ERRORS = {
    "wrong_password": "That password is not right.",
    "code_format": f"Enter the {DIGITS}-digit code your authenticator app shows.",
    "code_refused": (
        "That code is not right, or it was already used. Wait for the next code in the app "
        "and check that your phone's clock is set automatically."
    ),
    "no_enrolment": "Start setting up an authenticator app first.",
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


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
        error_messages={"required": ERRORS["code_format"]},
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != DIGITS or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(ERRORS["code_format"], code="code_format")
        return code


class SecurityPolicyForm(forms.Form):
    two_factor_policy = forms.ChoiceField(
        label="Two-factor sign-in",
        choices=[
            (value, f"{label}: {POLICY_HELP[value]}")
            for value, label in SecurityPolicy.TwoFactor.choices
        ],
        widget=forms.RadioSelect,
    )
