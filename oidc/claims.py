"""The claims Hygate tells an app about a user, by scope, and how the user signed in."""

from datetime import UTC, datetime

from django.http import HttpRequest

from accounts import sessions
from accounts.models import User
from oidc.models import Subject
from organisations.models import Membership

# Which scope each claim needs; amr and auth_time come with openid itself.
CLAIM_SCOPES = {
    "sub": "openid",
    "amr": "openid",
    "auth_time": "openid",
    "email": "email",
    "email_verified": "email",
    "name": "profile",
    "organisations": "organisations",
}
SCOPES = {
    "openid": "Know that it is you (a private identifier for this account)",
    "email": "See your e-mail address",
    "profile": "See your name",
    "organisations": "See your organisations and your role in each",
}
PASSKEY = "passkey"
ONE_TIME_CODES = ("email", "totp", "recovery")


def subject(user: User) -> str:
    """Return the user's stable `sub`, making it on first use."""
    try:
        return user.oidc_subject.value  # read with the user where the caller could
    except Subject.DoesNotExist:
        return Subject.objects.get_or_create(user=user)[0].value


def methods(request: HttpRequest) -> list[str]:
    """Return the RFC 8176 `amr` values of how this session signed in.

    A passkey on its own is "hwk" and "mfa": every ceremony requires user verification (the
    device's PIN or biometric), so the key and what unlocks it are two factors, as Hygate's
    policies count it. A password and then a second step add "mfa" too.
    """
    second = sessions.second_step(request)
    if sessions.first_step(request) == PASSKEY:
        return ["hwk", "mfa"]
    if second == PASSKEY:
        return ["pwd", "hwk", "mfa"]
    if second in ONE_TIME_CODES:
        return ["pwd", "otp", "mfa"]
    return ["pwd"]


def signed_in_at(request: HttpRequest) -> datetime:
    """Return when this session signed in (the session's start, else the last sign-in)."""
    started = request.session.get(sessions.STARTED_KEY)
    if started:
        return datetime.fromtimestamp(started, tz=UTC)
    return request.user.last_login or datetime.now(tz=UTC)


def organisations(user: User) -> list[dict[str, str]]:
    rows = (
        Membership.objects.filter(user=user)
        .order_by("organisation__name", "organisation__slug")
        .values_list("organisation__slug", "organisation__name", "role")
    )
    return [{"slug": slug, "name": name, "role": role} for slug, name, role in rows]


def user_claims(user: User, scopes: list[str] | set[str]) -> dict:
    """Return the claims of the granted scopes (sub always, when openid was granted)."""
    claims: dict = {}
    if "openid" in scopes:
        claims["sub"] = subject(user)
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified_at is not None
    if "profile" in scopes:
        claims["name"] = user.name
    if "organisations" in scopes:
        claims["organisations"] = organisations(user)
    return claims
