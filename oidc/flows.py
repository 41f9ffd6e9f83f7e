"""What Hygate does with the apps that sign in through it: register, change, consent, revoke."""

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from accounts.models import User
from audit.events import Action, record
from oidc import keys
from oidc.models import Consent

Application = get_application_model()
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()
IDToken = get_id_token_model()


@dataclass(frozen=True)
class AppSettings:
    """What staff choose for an app."""

    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    public: bool
    trusted: bool


def _apply(app: Application, wanted: AppSettings) -> None:
    app.name = wanted.name
    app.redirect_uris = " ".join(wanted.redirect_uris)
    app.post_logout_redirect_uris = " ".join(wanted.post_logout_redirect_uris)
    app.skip_authorization = wanted.trusted


def register_app(request: HttpRequest | None, wanted: AppSettings, by: User | None) -> tuple:
    """Register an app; return it and its client secret (None for a public client).

    The secret is returned this once: DOT stores only its hash.
    """
    secret = None if wanted.public else generate_client_secret()
    app = Application(
        client_type=Application.CLIENT_PUBLIC if wanted.public else Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        client_secret=secret or "",
        hash_client_secret=True,
    )
    _apply(app, wanted)
    keys.ensure_loaded()  # DOT checks an RS256 app against the configured key
    app.full_clean()
    app.save()
    record(
        request,
        Action.OIDC_APP_REGISTERED,
        actor=by,
        target=wanted.name,
        client_id=app.client_id,
        public=wanted.public,
        trusted=wanted.trusted,
    )
    return app, secret


def change_app(request: HttpRequest, app: Application, wanted: AppSettings) -> list[str]:
    """Save staff's changes to an app; return the names of what changed."""
    before = {
        "name": app.name,
        "redirect URIs": app.redirect_uris,
        "sign-out redirect URIs": app.post_logout_redirect_uris,
        "trusted": app.skip_authorization,
    }
    _apply(app, wanted)
    after = {
        "name": app.name,
        "redirect URIs": app.redirect_uris,
        "sign-out redirect URIs": app.post_logout_redirect_uris,
        "trusted": app.skip_authorization,
    }
    changed = [field for field in before if before[field] != after[field]]
    if changed:
        app.save()
        record(
            request,
            Action.OIDC_APP_CHANGED,
            target=app.name,
            client_id=app.client_id,
            changed=changed,
        )
    return changed


def reset_secret(request: HttpRequest, app: Application) -> str:
    """Give a confidential app a new secret (the old one stops working); return it once."""
    secret = generate_client_secret()
    app.client_secret = secret
    app.save(update_fields=["client_secret", "updated"])
    record(request, Action.OIDC_APP_SECRET_RESET, target=app.name, client_id=app.client_id)
    return secret


def delete_app(request: HttpRequest, app: Application) -> None:
    """Remove an app, and with it every grant, token and consent of it."""
    record(request, Action.OIDC_APP_DELETED, target=app.name, client_id=app.client_id)
    with transaction.atomic():
        _end_tokens(AccessToken.objects.filter(application=app))
        app.delete()


def consented(user: User, app: Application, scopes: list[str]) -> bool:
    """Say whether the user already let this app have all these scopes."""
    consent = Consent.objects.filter(user=user, application=app).first()
    return consent is not None and set(scopes) <= consent.scopes


def give_consent(request: HttpRequest, app: Application, scopes: list[str]) -> None:
    """Remember the user's yes to these scopes of this app (adding to any given before)."""
    with transaction.atomic():
        consent, _ = Consent.objects.select_for_update().get_or_create(
            user=request.user, application=app, defaults={"scope": ""}
        )
        consent.scope = " ".join(sorted(consent.scopes | set(scopes)))
        consent.save()
    record(
        request,
        Action.OIDC_CONSENT_GIVEN,
        target=request.user,
        app=app.name,
        client_id=app.client_id,
        scopes=sorted(scopes),
    )


def note_denial(request: HttpRequest, app: Application, scopes: list[str]) -> None:
    record(
        request,
        Action.OIDC_CONSENT_DENIED,
        target=request.user,
        app=app.name,
        client_id=app.client_id,
        scopes=sorted(scopes),
    )


def _end_tokens(access_tokens) -> None:
    """Delete access tokens, their ID tokens and their refresh tokens (in one transaction)."""
    ids = list(access_tokens.values_list("pk", flat=True))
    RefreshToken.objects.filter(access_token_id__in=ids).delete()
    IDToken.objects.filter(access_token__pk__in=ids).delete()
    AccessToken.objects.filter(pk__in=ids).delete()


def end_tokens(user: User, app: Application | None = None) -> int:
    """End every grant and token of the user (for one app, or all); return how many apps."""
    scope = {"user": user} if app is None else {"user": user, "application": app}
    with transaction.atomic():
        apps = set(AccessToken.objects.filter(**scope).values_list("application_id", flat=True))
        apps |= set(RefreshToken.objects.filter(**scope).values_list("application_id", flat=True))
        _end_tokens(AccessToken.objects.filter(**scope))
        RefreshToken.objects.filter(**scope).delete()
        IDToken.objects.filter(**scope).delete()
        Grant.objects.filter(**scope).delete()
    return len(apps)


def revoke_app(request: HttpRequest, app: Application) -> None:
    """Take back an app's access to the signed-in user: its consent and every token die."""
    user = request.user
    with transaction.atomic():
        Consent.objects.filter(user=user, application=app).delete()
        end_tokens(user, app)
    record(request, Action.OIDC_APP_REVOKED, target=user, app=app.name, client_id=app.client_id)


def apps_of(user: User) -> list[tuple[Application, Consent | None]]:
    """Return the apps the user let in (a consent) or that hold a live token of theirs."""
    consents = {c.application_id: c for c in Consent.objects.filter(user=user)}
    with_tokens = set(
        RefreshToken.objects.filter(user=user, revoked__isnull=True).values_list(
            "application_id", flat=True
        )
    )
    ids = set(consents) | with_tokens
    apps = Application.objects.filter(pk__in=ids).order_by("name", "pk")
    return [(app, consents.get(app.pk)) for app in apps]
