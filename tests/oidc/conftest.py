import pytest

from oidc import flows, keys
from oidc.flows import AppSettings
from tests.oidc.relying_party import RelyingParty

APP_CALLBACK = "https://wiki.example.org/oidc/callback/"
APP_LOGGED_OUT = "https://wiki.example.org/signed-out/"


@pytest.fixture(autouse=True)
def _fresh_signing_keys():
    keys.forget()
    yield
    keys.forget()


def register(name="Team wiki", *, public=False, trusted=False, redirect_uri=APP_CALLBACK, **kw):
    app, secret = flows.register_app(
        None,
        AppSettings(
            name=name,
            redirect_uris=[redirect_uri],
            post_logout_redirect_uris=kw.get("post_logout", [APP_LOGGED_OUT]),
            public=public,
            trusted=trusted,
        ),
        by=None,
    )
    return app, secret


@pytest.fixture
def wiki(db):
    """A confidential app (a server-side wiki), not trusted: people are asked to consent."""
    app, secret = register()
    return RelyingParty(app.client_id, secret, APP_CALLBACK)


@pytest.fixture
def wiki_app(wiki):
    from oauth2_provider.models import get_application_model

    return get_application_model().objects.get(client_id=wiki.client_id)
