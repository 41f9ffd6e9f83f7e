"""DOT's request validator, taught Hygate's claims, sign-in methods and refresh-token reuse."""

import hashlib
import json
from contextvars import ContextVar

from jwcrypto import jws
from jwcrypto.common import JWException
from oauth2_provider.models import get_grant_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
from oauthlib.oauth2.rfc6749.utils import scope_to_list

from audit.events import Action, record
from oidc import claims
from oidc.models import Authentication

Grant = get_grant_model()
RefreshToken = get_refresh_token_model()

# The ID token this request has just signed and saved, as (serialized, IDToken row), while
# DOT makes the access token that points at it: DOT would parse, verify and load it again.
_signed_now: ContextVar[tuple | None] = ContextVar("hygate_signed_id_token", default=None)


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class _UsedMeanwhile(Exception):
    """The refresh token was used (or revoked) by another request since it was validated."""

    def __init__(self, token) -> None:
        self.token = token


def _record_reuse(token) -> None:
    record(
        None,
        Action.OIDC_REFRESH_TOKEN_REUSED,
        actor=None,
        target=token.user,
        app=token.application.name if token.application else "",
        client_id=token.application.client_id if token.application else "",
    )


class HygateValidator(OAuth2Validator):
    oidc_claim_scope = claims.CLAIM_SCOPES

    # --- the code, read once per token request ---------------------------------------------
    # DOT reads the grant again for each question oauthlib asks of it (scopes, the code, the
    # PKCE challenge and its method, the redirect URI, the nonce): six queries a code exchange.
    # The validator is shared by every request, so the grant is kept on oauthlib's request.
    def _grant(self, code: str, request):
        """The code's grant (with its user and how they signed in), or None; read once."""
        cached = getattr(request, "hygate_grant", None)
        if cached is None or cached[0] != code:
            try:
                # Locked until the exchange's transaction ends (oidc.provider_views.TokenView):
                # a second request with this code waits, then finds it gone.
                grant = (
                    Grant.objects.select_related(
                        "user", "user__oidc_subject", "hygate_authentication"
                    )
                    .select_for_update(of=("self",))
                    .get(code=code)
                )
            except Grant.DoesNotExist:
                grant = None
            request.hygate_grant = cached = (code, grant)
        return cached[1]

    def _grant_of(self, code: str, client, request):
        grant = self._grant(code, request)
        if grant is None or client is None or grant.application_id != client.pk:
            return None
        return grant

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return scope_to_list(grant.scope) if grant is not None and grant.scope else []

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self._grant_of(code, client, request)
        if grant is None or grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        # How the user signed in, carried from the code to every token of it.
        try:
            request.hygate_authentication = grant.hygate_authentication
        except Authentication.DoesNotExist:
            request.hygate_authentication = None
        return True

    def get_code_challenge(self, code, request):
        grant = self._grant_of(code, request.client, request)
        if grant is None:
            return super().get_code_challenge(code, request)
        return grant.code_challenge or None

    def get_code_challenge_method(self, code, request):
        grant = self._grant_of(code, request.client, request)
        if grant is None:
            return super().get_code_challenge_method(code, request)
        return grant.code_challenge_method or None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, *args, **kwargs):
        request = args[0] if args else kwargs.get("request")
        grant = self._grant_of(code, client, request) if request is not None else None
        if grant is None:
            return super().confirm_redirect_uri(
                client_id, code, redirect_uri, client, *args, **kwargs
            )
        return grant.redirect_uri_allowed(redirect_uri)

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant is not None else None

    def _check_and_set_request_resource(self, request):
        # RFC 8707: with no resource asked for and none on the code, the token has none; DOT
        # would read the code a seventh time to learn it. Anything else is DOT's to check.
        if request.grant_type == "authorization_code" and not getattr(request, "resource", None):
            grant = self._grant_of(request.code, request.client, request)
            if grant is not None and not grant.resource:
                request.resource = []
                return
        super()._check_and_set_request_resource(request)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        token = (
            RefreshToken.objects.filter(token_checksum=_checksum(refresh_token))
            .order_by("revoked")
            .first()
        )
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if token is not None and token.revoked is not None and not valid:
            # A refresh token used again: DOT has revoked its whole family (reuse protection).
            _record_reuse(token)
        if valid:
            if not request.user.is_active:
                return False
            request.hygate_authentication = (
                Authentication.objects.filter(token_family=token.token_family).first()
                if token is not None and token.token_family
                else None
            )
        return valid

    # --- two requests with one refresh token at once ---------------------------------------
    # Both pass validate_refresh_token before either rotates it. DOT then serves the second
    # the first one's tokens again, read back from the database, where they are stored
    # redacted: an answer of 200 with empty tokens. The second is a reuse like any other.
    def save_bearer_token(self, token, request, *args, **kwargs):
        try:
            return super().save_bearer_token(token, request, *args, **kwargs)
        except _UsedMeanwhile as reuse:
            # DOT's transaction is rolled back; now end the chain, as for a later reuse.
            RefreshToken.revoke_family(reuse.token.token_family)
            _record_reuse(reuse.token)
            raise InvalidGrantError(request=request) from None

    def _save_bearer_token(self, token, request, *args, **kwargs):
        used = getattr(request, "refresh_token_instance", None)
        if request.grant_type == "refresh_token" and isinstance(used, RefreshToken):
            # Inside DOT's transaction: wait for a concurrent rotation of it, then look again.
            live = RefreshToken.objects.select_for_update().filter(pk=used.pk, revoked__isnull=True)
            if not list(live.values_list("pk", flat=True)):
                raise _UsedMeanwhile(used)
        super()._save_bearer_token(token, request, *args, **kwargs)
        authentication = getattr(request, "hygate_authentication", None)
        refresh_token = getattr(request, "hygate_new_refresh_token", None)
        if authentication is not None and authentication.token_family is None and refresh_token:
            # From the code to the refresh-token family it started (the code is deleted next).
            Authentication.objects.filter(pk=authentication.pk).update(
                token_family=refresh_token.token_family, grant=None
            )

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        request.hygate_new_refresh_token = refresh_token
        return refresh_token

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        request.hygate_signed_id_token = (signed, request.id_token)
        return signed

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        marker = _signed_now.set(getattr(request, "hygate_signed_id_token", None))
        try:
            return super()._create_access_token(expires, request, token, source_refresh_token)
        finally:
            _signed_now.reset(marker)

    def _load_id_token(self, token):
        signed = _signed_now.get()
        if signed is not None and signed[0] == token:
            return signed[1]
        return super()._load_id_token(token)

    # --- prompt=none: the views answer login_required / consent_required themselves ------
    def validate_silent_login(self, request) -> bool:
        return True

    def validate_silent_authorization(self, request) -> bool:
        return True

    # --- claims ----------------------------------------------------------------------------
    def get_additional_claims(self, request):
        authentication = getattr(request, "hygate_authentication", None)
        extra = {}
        if authentication is not None:
            extra["amr"] = authentication.amr
            extra["auth_time"] = int(authentication.auth_time.timestamp())
        return {**claims.user_claims(request.user, request.scopes), **extra}

    def get_claim_dict(self, request):
        return self.get_additional_claims(request)

    def get_discovery_claims(self, request):
        return list(claims.CLAIM_SCOPES)

    def get_userinfo_claims(self, request):
        families = RefreshToken.objects.filter(access_token=request.access_token).values(
            "token_family"
        )
        request.hygate_authentication = Authentication.objects.filter(
            token_family__isnull=False, token_family__in=families
        ).first()
        return super().get_userinfo_claims(request)

    def get_id_token_dictionary(self, token, token_handler, request):
        id_claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        authentication = getattr(request, "hygate_authentication", None)
        if authentication is not None:
            id_claims["auth_time"] = int(authentication.auth_time.timestamp())
        return id_claims, expiration_time

    # --- an ID token signed by a key since retired still names its user at sign-out --------
    def _get_key_for_token(self, token):
        try:
            unverified = jws.JWS()
            unverified.deserialize(token)
            kid = unverified.jose_header.get("kid")
            audience = json.loads(unverified.objects["payload"].decode()).get("aud")
        except (JWException, ValueError, KeyError):
            return None
        if not audience or not self._get_client_by_audience(audience):
            return None
        for pem in [
            oauth2_settings.OIDC_RSA_PRIVATE_KEY,
            *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE,
        ]:
            key = jwk_from_pem(pem)
            if key.thumbprint() == kid:
                return key
        return None
