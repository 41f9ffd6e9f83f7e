"""The Settings -> Email form: validation, and the rule that keeps saved secrets at home."""

from email.utils import parseaddr

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import escape, format_html

from emailing.config import (
    DEFAULT_SMTP_PORTS,
    ProviderConfig,
    mask_secret,
    normalise_api_url,
    sends_password_in_clear,
)
from emailing.errors import SHARED_SENDER
from emailing.models import Provider, SMTPSecurity

RESEND_RELAY = {
    "provider": Provider.SMTP,
    "smtp_host": "smtp.resend.com",
    "smtp_port": 465,
    "smtp_security": SMTPSecurity.SSL,
    "smtp_username": "resend",
}

ERRORS = {
    "from_email": "Enter an address like id@example.com or Hygate <id@example.com>.",
    "resend_api_key_format": "A Resend API key starts with re_.",
    "resend_api_key_required": "Enter the Resend API key.",
    "resend_api_key_again": (
        "Enter the API key again: the provider changed, so the saved key is not sent."
    ),
    "resend_api_key_new_url": (
        "Enter the API key again: RESEND_API_URL now points at another address than the one "
        "the saved key was saved for, so the saved key is not sent there."
    ),
    "smtp_host_required": "Enter the SMTP server's host name.",
    "webhook_secret_format": "A webhook signing secret starts with whsec_.",
    "smtp_password_again": (
        "Enter the password again: the SMTP server changed, so the saved password is not "
        "sent to it."
    ),
    "smtp_cleartext": (
        "With security None the password would cross the network unencrypted. Choose "
        "SSL/TLS or STARTTLS, or use a relay on this machine (127.0.0.1, ::1 or localhost)."
    ),
}
SECRET_NOUNS = {"resend_api_key": "A key", "smtp_password": "A password"}


def describe_saved_secret(name: str, secret: str) -> str:
    """Say that a secret is saved, with its recognisable tail when it is long enough."""
    if not secret:
        return ""
    masked = mask_secret(secret)
    tail = f" ({masked})" if masked.startswith(("re_", "...")) else ""
    return f"{SECRET_NOUNS[name]} is saved{tail}"


def is_shared_sender(from_email: str) -> bool:
    """Say whether a from-address is Resend's shared testing sender."""
    return parseaddr(from_email)[1].lower() == SHARED_SENDER


def validate_from_address(value: str) -> str:
    """Accept `addr` or `Name <addr>`; return it tidied."""
    name, address = parseaddr(value)
    if not address or "<" in name or ">" in name:
        raise ValidationError(ERRORS["from_email"], code="from_email")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(ERRORS["from_email"], code="from_email") from None
    return f"{name} <{address}>" if name else address


def smtp_destination(data: dict) -> tuple:
    """The SMTP server and login a password is for."""
    return (
        Provider.SMTP,
        data.get("smtp_host", ""),
        data.get("smtp_port"),
        data.get("smtp_security", ""),
        data.get("smtp_username", ""),
    )


class EmailSettingsForm(forms.Form):
    provider = forms.ChoiceField(
        choices=[(Provider.RESEND, "Resend (HTTP API)"), (Provider.SMTP, "SMTP")],
        widget=forms.RadioSelect,
    )
    from_email = forms.CharField(
        label="From address",
        max_length=320,
        help_text=escape("name@example.com or Name <name@example.com>, on a verified domain."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    resend_api_key = forms.CharField(
        label="Resend API key",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    smtp_host = forms.CharField(label="SMTP host", required=False, max_length=255)
    smtp_port = forms.IntegerField(label="SMTP port", required=False, min_value=1, max_value=65535)
    smtp_security = forms.ChoiceField(
        label="SMTP security",
        choices=SMTPSecurity.choices,
        initial=SMTPSecurity.STARTTLS,
        required=False,
    )
    smtp_username = forms.CharField(
        label="SMTP username",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    smtp_password = forms.CharField(
        label="SMTP password",
        required=False,
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    remove_smtp_password = forms.BooleanField(
        label="Remove the saved password",
        required=False,
        help_text="For a relay that needs no login; a password typed above replaces it instead.",
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret",
        required=False,
        max_length=200,
        strip=True,
        help_text=escape(
            "From Resend's webhook page (whsec_...), for delivery events at /webhooks/resend/. "
            "Blank keeps the saved one."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    test_recipient = forms.EmailField(
        label="Send the test to",
        required=False,
        max_length=254,
        help_text="Optional; your own address when blank.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(
        self,
        *args,
        current: ProviderConfig,
        action: str = "save",
        tested: tuple[tuple, str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        self.action = action
        # (destination, secret) of the last Test Connection: Save may use it for a blank field.
        self.tested = tested
        # Not a field: where a key goes is the operator's choice (RESEND_API_URL), not a form's.
        self.resend_api_url = normalise_api_url(settings.RESEND_API_URL)
        for name in ("resend_api_key", "smtp_password"):
            secret = getattr(current, name)
            if secret:
                # help_text is rendered unescaped, and the tail of a secret is anyone's text.
                self.fields[name].help_text = format_html(
                    "{}. Leave blank to keep it.", describe_saved_secret(name, secret)
                )
        if not current.smtp_password:
            del self.fields["remove_smtp_password"]  # nothing saved to remove

    def clean_from_email(self) -> str:
        return validate_from_address(self.cleaned_data["from_email"])

    def clean_webhook_secret(self) -> str:
        secret = self.cleaned_data["webhook_secret"]
        if secret and not secret.startswith("whsec_"):
            raise ValidationError(ERRORS["webhook_secret_format"], code="webhook_secret_format")
        return secret

    def clean_smtp_host(self) -> str:
        return self.cleaned_data["smtp_host"].strip().lower()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("provider") == Provider.RESEND:
            self._clean_resend(data)
        elif data.get("provider") == Provider.SMTP:
            self._clean_smtp(data)
        return data

    def _clean_resend(self, data: dict) -> None:
        key = data.get("resend_api_key", "")
        tested = self._tested_secret((Provider.RESEND, self.resend_api_url))
        if not key and tested:
            data["resend_api_key"] = tested
        elif key and not key.startswith("re_"):
            self.add_error("resend_api_key", ERRORS["resend_api_key_format"])
        elif not key and self.current.provider == Provider.RESEND and self.current.resend_api_key:
            if self.current.resend_api_url == self.resend_api_url:
                data["resend_api_key"] = self.current.resend_api_key
            else:
                self.add_error("resend_api_key", ERRORS["resend_api_key_new_url"])
        elif not key and self.current.resend_api_key:
            self.add_error("resend_api_key", ERRORS["resend_api_key_again"])
        elif not key and self.action == "save":
            self.add_error("resend_api_key", ERRORS["resend_api_key_required"])

    def _clean_smtp(self, data: dict) -> None:
        if not data.get("smtp_host"):
            self.add_error("smtp_host", ERRORS["smtp_host_required"])
            return
        security = data["smtp_security"] = data.get("smtp_security") or SMTPSecurity.STARTTLS
        data["smtp_port"] = data.get("smtp_port") or DEFAULT_SMTP_PORTS[SMTPSecurity(security)]
        # A blank password means "the saved one" only where a login will happen: a relay
        # that needs none (no username) or a removed password keeps it blank.
        keeps_saved = not (data.get("remove_smtp_password") or not data.get("smtp_username"))
        tested = self._tested_secret(smtp_destination(data))
        if not data.get("smtp_password") and tested and data.get("smtp_username"):
            data["smtp_password"] = tested
        elif not data.get("smtp_password") and self.current.smtp_password and keeps_saved:
            if self.same_smtp_destination(data):
                data["smtp_password"] = self.current.smtp_password
            else:
                self.add_error("smtp_password", ERRORS["smtp_password_again"])
                return
        if sends_password_in_clear(
            security,
            data["smtp_host"],
            data.get("smtp_username", ""),
            data.get("smtp_password", ""),
        ):
            self.add_error("smtp_security", ERRORS["smtp_cleartext"])

    def _tested_secret(self, destination: tuple) -> str:
        if self.tested is None or self.tested[0] != destination:
            return ""
        return self.tested[1]

    def tested_destination(self) -> tuple:
        """Where the secret on this (valid) form goes: a tested secret is kept for it alone."""
        data = self.cleaned_data
        if data["provider"] == Provider.RESEND:
            return (Provider.RESEND, self.resend_api_url)
        return smtp_destination(data)

    def same_smtp_destination(self, data: dict) -> bool:
        """Say whether the form points at the SMTP server the saved password belongs to."""
        current = self.current
        return (
            current.provider == Provider.SMTP
            and data["smtp_host"] == current.smtp_host.lower()
            and data["smtp_port"] == current.effective_smtp_port
            and data.get("smtp_security") == current.smtp_security
            and data.get("smtp_username", "") == current.smtp_username
        )

    def to_config(self) -> ProviderConfig:
        """The configuration on the form (with saved secrets filled in where allowed)."""
        data = self.cleaned_data
        if data["provider"] == Provider.RESEND:
            return ProviderConfig(
                provider=Provider.RESEND,
                from_email=data["from_email"],
                source="form",
                resend_api_key=data.get("resend_api_key", ""),
                resend_api_url=self.resend_api_url,
            )
        return ProviderConfig(
            provider=Provider.SMTP,
            from_email=data["from_email"],
            source="form",
            smtp_host=data["smtp_host"],
            smtp_port=data["smtp_port"],
            smtp_username=data.get("smtp_username", ""),
            smtp_password=data.get("smtp_password", ""),
            smtp_security=data["smtp_security"],
        )

    @property
    def uses_shared_sender(self) -> bool:
        return is_shared_sender(self.cleaned_data.get("from_email", ""))
