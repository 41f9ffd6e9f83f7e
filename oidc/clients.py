"""Questions DOT asks about a client that Hygate answers."""

from oauth2_provider.models import get_application_model


def pkce_required(client_id: str) -> bool:
    """PKCE is required of public clients (and accepted from all: DOT checks any sent)."""
    Application = get_application_model()
    client_type = (
        Application.objects.filter(client_id=client_id)
        .values_list("client_type", flat=True)
        .first()
    )
    return client_type != Application.CLIENT_CONFIDENTIAL
