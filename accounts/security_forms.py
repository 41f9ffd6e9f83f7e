"""Forms of the security page and Settings -> Security; their messages live here, by code."""

from django import forms

from accounts.forms import CodeForm, SecondFactorFields
from accounts.totp import DIGITS
from twofactor.models import SecurityPolicy

ERRORS = {
    "wrong_password": "That password is not right.",
    "code_format": f"Enter the {DIGITS}-digit code your authenticator app shows.",
    "code_refused": (
        "That code is not right, or it was already used. Wait for the next code in the app "
        "and check that your phone's clock is set automatically."
    ),
    "code_needed": "Enter the code your authenticator app shows, or one of your recovery codes.",
    "email_code_needed": "Enter the code we e-mailed you. No code yet? Ask for one below.",
    "wrong_code": "That code is not right, or it was already used.",
    "locked": (
        "Too many wrong codes were entered for this account. Its second step is locked for "
        "{when}; we have told you by e-mail."
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
