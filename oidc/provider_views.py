"""DOT's endpoints, as Hygate serves them: its sign-in, its consent page, its limits.

Only the authorization-code flow is served (the app registrations allow no other grant).
"""

import base64
import binascii
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote_plus, urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot
from oauth2_provider.exceptions import InvalidOIDCClientError, OAuthToolkitError
from oauth2_provider.models import get_application_model, get_grant_model
from oauth2_provider.signals import app_authorized

from core.ratelimit import consume
from oidc import claims, flows, keys
from oidc.middleware import (
    allow_app_origin,
    forget_app_origins,
    origin_of,
    policy_allowing,
)
from oidc.models import Authentication

Application = get_application_model()
Grant = get_grant_model()

TOKEN_RATE_LIMIT = "oidc_token"  # noqa: S105 (a rate-limit rule name)


def _too_many(wait: int) -> HttpResponse:
    response = JsonResponse(
        {"error": "slow_down", "error_description": "Too many requests; try again later."},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _holds_nul(request: HttpRequest) -> bool:
    """Whether a parameter, or the Basic credentials, hold a NUL character.

    DOT looks such values up as they come, and PostgreSQL refuses text with NUL in a query
    (a 500 where SQLite finds nothing): the endpoints answer 400 before DOT sees them.
    """
    for query in (request.GET, request.POST):
        for key, values in query.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False  # DOT refuses what it cannot read
        return "\x00" in unquote_plus(decoded)
    return False


# What DOT's Grant keeps of an authorization request, and how long its columns are: a longer
# value fails the grant's insert on PostgreSQL (a 500), so the request is refused first.
_KEPT_PARAMETERS = {"nonce": 255, "code_challenge": 128}


def _too_long_to_keep(request: HttpRequest) -> bool:
    return any(
        len(value) > limit
        for query in (request.GET, request.POST)
        for name, limit in _KEPT_PARAMETERS.items()
        for value in query.getlist(name)
    )


def _prompts(request: HttpRequest) -> list[str]:
    """The values of the authorization request's `prompt`, a space-separated list."""
    return request.GET.get("prompt", "").split()


def _invalid_request() -> HttpResponse:
    return JsonResponse({"error": "invalid_request"}, status=400)


class AuthorizeView(dot.AuthorizationView):
    """Ask a signed-in user to let an app in (once per app and scope set), then answer it."""

    template_name = "oidc/consent.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if _holds_nul(request):
            raise BadRequest("A parameter holds a NUL character.")
        if _too_long_to_keep(request):
            raise BadRequest("The nonce or the code challenge is too long.")
        keys.ensure_loaded()
        return super().dispatch(request, *args, **kwargs)

    def validate_authorization_request(self, request: HttpRequest) -> tuple[list[str], dict]:
        """DOT's checks, and a "plain" PKCE challenge refused now, not after the sign-in.

        DOT refuses "plain" (RFC 9700 2.1.1) only when it makes the code: a person would sign
        in, take the second step and consent before the app heard that its link was wrong.
        """
        scopes, credentials = super().validate_authorization_request(request)
        if credentials.get("code_challenge") and credentials.get("code_challenge_method") != "S256":
            raise OAuthToolkitError(
                error=_error("invalid_request", credentials),
                redirect_uri=credentials["redirect_uri"],
            )
        return scopes, credentials

    def handle_no_permission(self) -> HttpResponse:
        # Sign in first; only a valid request (a registered app and redirect URI) gets its
        # origin into this session's form-action, so the sign-in form can reach the app.
        try:
            _scopes, credentials = self.validate_authorization_request(self.request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        if "none" not in _prompts(self.request):
            allow_app_origin(self.request, credentials["redirect_uri"])
            if "max_age" in self.request.GET and "create" not in _prompts(self.request):
                # The sign-in about to happen is as fresh as any max_age asks: it is consumed
                # (as DOT consumes prompt=login), so the way back does not ask again.
                asked = self.request.GET.copy()
                asked.pop("max_age")
                prompt = [p for p in _prompts(self.request) if p != "login"]
                asked.pop("prompt", None)
                if prompt:
                    asked["prompt"] = " ".join(prompt)
                return redirect_to_login(
                    f"{self.request.path}?{asked.urlencode()}",
                    self.get_login_url(),
                    self.get_redirect_field_name(),
                )
        return super().handle_no_permission()

    def _needs_fresh_sign_in(self, request: HttpRequest) -> bool:
        """Whether the app asks for a sign-in fresher than this session's (prompt, max_age).

        OpenID Connect Core 3.1.2.1: the provider must then authenticate the user again or
        answer login_required. A signed-in session is not signed in again here: the app
        hears login_required, and a signed-out browser's sign-in is fresh by construction.
        """
        if "login" in _prompts(request):
            return True
        try:
            max_age = int(request.GET.get("max_age", ""))
        except ValueError:
            return False
        elapsed = (datetime.now(tz=UTC) - claims.signed_in_at(request)).total_seconds()
        return elapsed > max(max_age, 0)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = Application.objects.get(client_id=credentials["client_id"])
        if self._needs_fresh_sign_in(request):
            error = OAuthToolkitError(
                error=_error("login_required", credentials),
                redirect_uri=credentials["redirect_uri"],
            )
            return self.error_response(error, application)
        if application.skip_authorization or flows.consented(request.user, application, scopes):
            return self._answer(application, scopes, credentials)
        if "none" in _prompts(request):
            # The app asked not to show a page, and there is a question to ask.
            error = OAuthToolkitError(
                error=_error("consent_required", credentials),
                redirect_uri=credentials["redirect_uri"],
            )
            return self.error_response(error, application)
        self.oauth2_data = {
            **{k: credentials.get(k) for k in ("client_id", "redirect_uri", "response_type")},
            **{k: credentials.get(k) for k in ("state", "nonce", "code_challenge")},
            "code_challenge_method": credentials.get("code_challenge_method"),
            "scopes": scopes,
        }
        context = self.get_context_data(
            form=self.get_form(self.get_form_class()),
            application=application,
            scope_descriptions=[claims.SCOPES.get(s, s) for s in scopes],
        )
        response = self.render_to_response(context)
        response["Content-Security-Policy"] = policy_allowing(
            [origin_of(credentials["redirect_uri"])]
        )
        return response

    def _answer(self, application, scopes: list[str], credentials: dict) -> HttpResponse:
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=self.request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        self._note_authentication(uri, application)
        forget_app_origins(self.request)
        return self.redirect(uri, application)

    def form_valid(self, form) -> HttpResponse:
        application = Application.objects.filter(client_id=form.cleaned_data["client_id"]).first()
        if application is None:
            return self.render_to_response({"error": _error("invalid_client", {})}, status=400)
        scopes = (form.cleaned_data.get("scope") or "").split()
        response = super().form_valid(form)
        location = response.get("Location", "")
        # Read the answer's parameters, not its text: a redirect URI may carry a query of
        # its own (?postcode=1), which a denial keeps.
        answer = parse_qs(urlsplit(location).query)
        if "error" in answer:
            if answer["error"] == ["access_denied"]:
                flows.note_denial(self.request, application, scopes)
        elif "code" in answer:
            flows.give_consent(self.request, application, scopes)
            self._note_authentication(location, application)
        forget_app_origins(self.request)
        return response

    def _note_authentication(self, uri: str, application) -> None:
        code = parse_qs(urlsplit(uri).query).get("code", [""])[0]
        grant = Grant.objects.filter(code=code, application=application).first()
        if grant is None:
            return
        Authentication.objects.create(
            user=self.request.user,
            application=application,
            grant=grant,
            amr=claims.methods(self.request),
            auth_time=claims.signed_in_at(self.request),
        )


def _error(name: str, credentials: dict):
    from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error

    return CustomOAuth2Error(error=name, state=credentials.get("state"))


class TokenView(dot.TokenView):
    """Exchange a code or a refresh token, within the token endpoint's rate limit."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = consume(request, TOKEN_RATE_LIMIT)
        if wait:
            return _too_many(wait)
        if _holds_nul(request):
            return _invalid_request()
        keys.ensure_loaded()
        # One transaction for the whole exchange: the code's row is locked when it is read
        # (oidc.validators), so the same code sent twice at once gives tokens once, and a
        # refused exchange leaves none of the tokens it made behind.
        with transaction.atomic():
            return super().post(request, *args, **kwargs)

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request: HttpRequest, *args, **kwargs):
        # DOT reads the new access token back to send app_authorized: only if anyone listens.
        if app_authorized.receivers:
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


class RevokeTokenView(dot.RevokeTokenView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = consume(request, TOKEN_RATE_LIMIT)
        if wait:
            return _too_many(wait)
        if _holds_nul(request):
            return _invalid_request()
        return super().post(request, *args, **kwargs)


class UserInfoView(dot.UserInfoView):
    pass


class JwksView(dot.JwksInfoView):
    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        keys.ensure_loaded()
        return super().get(request, *args, **kwargs)


class DiscoveryView(dot.ConnectDiscoveryInfoView):
    """The provider's metadata, saying only what Hygate serves."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        keys.ensure_loaded()
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        site = data["issuer"]
        data.update(
            {
                "revocation_endpoint": site + reverse("oauth2_provider:revoke-token"),
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "prompt_values_supported": ["none"],
                "claims_supported": sorted(
                    {*claims.CLAIM_SCOPES, "iss", "aud", "exp", "iat", "nonce"}
                ),
            }
        )
        answer = JsonResponse(data)
        answer["Access-Control-Allow-Origin"] = "*"
        return answer


class LogoutView(dot.RPInitiatedLogoutView):
    """RP-initiated logout: sign out of Hygate, end the app's tokens, go back to the app."""

    template_name = "oidc/logout_confirm.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if _holds_nul(request):
            raise BadRequest("A parameter holds a NUL character.")
        keys.ensure_loaded()
        return super().dispatch(request, *args, **kwargs)

    def render_to_response(self, context, **kwargs) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        target = (getattr(self, "oidc_data", None) or {}).get("post_logout_redirect_uri")
        if target:
            response["Content-Security-Policy"] = policy_allowing([origin_of(target)])
        return response

    def get_request_application(self, id_token, client_id):
        if client_id:
            application = Application.objects.filter(client_id=client_id).first()
            if application is None:
                raise InvalidOIDCClientError()
            return application
        return id_token.application if id_token else None

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ):
        # Only the browser's own signed-in user's tokens end: an ID token is a hint that
        # travels in URLs, and whoever holds someone else's (expired ones are accepted) must
        # not end that person's sessions at the app. The app revokes its own tokens anyway.
        user = self.request.user
        if (
            application is not None
            and user.is_authenticated
            and (token_user is None or token_user.pk == user.pk)
        ):
            flows.end_tokens(user, application)
        response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        if not post_logout_redirect_uri:  # DOT sends the browser to the site's root
            messages.info(self.request, "You have signed out.")
            return redirect("accounts:login")
        return response
