"""The filters of the audit log page."""

from django import forms

from audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    """Narrow the log to a user, an action and a date range (all optional)."""

    user = forms.CharField(
        label="User (e-mail)",
        required=False,
        max_length=254,
        help_text="Who acted or was acted on; part of the address is enough.",
    )
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *AuditEvent.Action.choices]
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The start date is after the end date.", code="range")
        return cleaned
