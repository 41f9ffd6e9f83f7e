"""Name, on the sign-in and sign-up pages, the app a person is signing in to.

A person sent from the team's wiki to Hygate's sign-in should read which app asked, as on
any identity provider's page. The name is shown only for an authorization request Hygate
would answer: a registered app and one of its registered redirect URIs, the same test as
the consent page's. Anything else in `next` names nothing.
"""

from urllib.parse import parse_qs, urlsplit

from django import template
from django.urls import reverse
from oauth2_provider.models import get_application_model

register = template.Library()


@register.simple_tag
def app_signing_in(next_url: str) -> str:
    """Return the name of the registered app whose authorization `next_url` resumes, or ""."""
    if not next_url:
        return ""
    parts = urlsplit(next_url)
    if parts.path != reverse("oauth2_provider:authorize"):
        return ""
    query = parse_qs(parts.query)
    client_id, redirect_uri = query.get("client_id", [""])[0], query.get("redirect_uri", [""])[0]
    if not client_id or not redirect_uri:
        return ""
    app = get_application_model().objects.filter(client_id=client_id).first()
    if app is None or not app.redirect_uri_allowed(redirect_uri):
        return ""
    return app.name
