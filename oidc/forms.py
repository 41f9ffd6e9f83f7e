"""The form staff register and change an app with (Settings -> Apps)."""

import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from oidc.flows import AppSettings

MAX_URIS = 10
MAX_URI_LENGTH = 500
LOOPBACK_HOSTS = {"localhost"}

ERRORS = {
    "uri_required": "Enter at least one redirect URI.",
    "uri_too_many": f"Enter at most {MAX_URIS} URIs.",
    "uri_too_long": f"Each URI must be at most {MAX_URI_LENGTH} characters.",
    "uri_absolute": "“%(uri)s” is not a full URI: enter each like https://app.example.com/oidc/callback/.",
    "uri_space": "“%(uri)s” holds a space: enter one URI a line, with no spaces in it.",
    "uri_https": "Use https:// (plain http:// is only for a loopback address like 127.0.0.1).",
    "uri_fragment": "A redirect URI cannot have a #fragment.",
    "uri_userinfo": "A redirect URI cannot carry a user name or password.",
    "uri_wildcard": "Enter exact URIs: wildcards are not accepted.",
}


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_uris(text: str, *, required: bool) -> list[str]:
    """Split one URI a line; refuse anything but exact https (or loopback http) URIs."""
    uris = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    if required and not uris:
        raise ValidationError(ERRORS["uri_required"], code="uri_required")
    if len(uris) > MAX_URIS:
        raise ValidationError(ERRORS["uri_too_many"], code="uri_too_many")
    for uri in uris:
        if len(uri) > MAX_URI_LENGTH:
            raise ValidationError(ERRORS["uri_too_long"], code="uri_too_long")
        quoted = {"uri": uri}
        try:
            parts = urlsplit(uri)
            host = parts.hostname or ""
        except ValueError:
            raise ValidationError(ERRORS["uri_absolute"], "uri_absolute", quoted) from None
        if parts.scheme not in ("http", "https") or not host:
            raise ValidationError(ERRORS["uri_absolute"], "uri_absolute", quoted)
        if any(c.isspace() for c in uri):
            raise ValidationError(ERRORS["uri_space"], "uri_space", quoted)
        if "*" in uri:
            raise ValidationError(ERRORS["uri_wildcard"], code="uri_wildcard")
        if "#" in uri:
            raise ValidationError(ERRORS["uri_fragment"], code="uri_fragment")
        if "@" in parts.netloc:
            raise ValidationError(ERRORS["uri_userinfo"], code="uri_userinfo")
        if parts.scheme == "http" and not _is_loopback(host):
            raise ValidationError(ERRORS["uri_https"], code="uri_https")
    return uris


class AppForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Shown to people on the consent page.")
    redirect_uris = forms.CharField(
        label="Redirect URIs",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, matched exactly: where Hygate sends people back after signing in.",
    )
    post_logout_redirect_uris = forms.CharField(
        label="Sign-out redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One a line (optional): where the app may send people after signing out.",
    )
    public = forms.TypedChoiceField(
        label="Kind of app",
        choices=[
            ("", "Confidential: a server-side app that keeps a client secret"),
            ("1", "Public: a single-page or native app (no secret; PKCE required)"),
        ],
        coerce=bool,
        empty_value=False,
        required=False,
        widget=forms.RadioSelect,
    )
    trusted = forms.BooleanField(
        label="Trusted: skip the consent page",
        required=False,
        help_text="For the team's own apps: people are not asked before signing in.",
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["public"]

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_redirect_uris(self) -> list[str]:
        return clean_uris(self.cleaned_data["redirect_uris"], required=True)

    def clean_post_logout_redirect_uris(self) -> list[str]:
        return clean_uris(self.cleaned_data["post_logout_redirect_uris"], required=False)

    def to_settings(self, public: bool | None = None) -> AppSettings:
        data = self.cleaned_data
        return AppSettings(
            name=data["name"],
            redirect_uris=data["redirect_uris"],
            post_logout_redirect_uris=data["post_logout_redirect_uris"],
            public=data.get("public", False) if public is None else public,
            trusted=data["trusted"],
        )

    @classmethod
    def initial_for(cls, app) -> dict:
        return {
            "name": app.name,
            "redirect_uris": "\n".join(app.redirect_uris.split()),
            "post_logout_redirect_uris": "\n".join(app.post_logout_redirect_uris.split()),
            "trusted": app.skip_authorization,
        }
