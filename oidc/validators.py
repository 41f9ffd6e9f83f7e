"""DOT's request validator, taught Hygate's claims, sign-in methods and refresh-token reuse."""

import hashlib
import json

from jwcrypto import jws
from jwcrypto.common import JWException
from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from audit.events import Action, record
from oidc import claims
from oidc.models import Authentication

RefreshToken = get_refresh_token_model()


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class HygateValidator(OAuth2Validator):
    oidc_claim_scope = claims.CLAIM_SCOPES

    # --- how the user signed in, carried from the code to every token of it -------------
    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if valid:
            request.hygate_authentication = Authentication.objects.filter(
                grant__code=code, application=client
            ).first()
        return valid

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        token = (
            RefreshToken.objects.filter(token_checksum=_checksum(refresh_token))
            .order_by("revoked")
            .first()
        )
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if token is not None and token.revoked is not None and not valid:
            # A refresh token used again: DOT has revoked its whole family (reuse protection).
            record(
                None,
                Action.OIDC_REFRESH_TOKEN_REUSED,
                actor=None,
                target=token.user,
                app=token.application.name if token.application else "",
                client_id=token.application.client_id if token.application else "",
            )
        if valid:
            if not request.user.is_active:
                return False
            request.hygate_authentication = (
                Authentication.objects.filter(token_family=token.token_family).first()
                if token is not None and token.token_family
                else None
            )
        return valid

    def _save_bearer_token(self, token, request, *args, **kwargs):
        super()._save_bearer_token(token, request, *args, **kwargs)
        authentication = getattr(request, "hygate_authentication", None)
        if authentication is not None and authentication.token_family is None:
            family = (
                RefreshToken.objects.filter(token_checksum=_checksum(token["refresh_token"]))
                .values_list("token_family", flat=True)
                .first()
            )
            Authentication.objects.filter(pk=authentication.pk).update(token_family=family)

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
        family = (
            RefreshToken.objects.filter(access_token=request.access_token)
            .values_list("token_family", flat=True)
            .first()
        )
        request.hygate_authentication = (
            Authentication.objects.filter(token_family=family).first() if family else None
        )
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
