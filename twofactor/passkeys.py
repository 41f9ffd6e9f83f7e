"""Passkeys (WebAuthn): adding one, signing in with one, and the checks on each use.

The relying party is the host of HYGATE_SITE_URL and the origin is that URL's; browsers
refuse an IP address as a relying party id, so with an IP host passkeys are not offered at
all (`available()`). Every ceremony asks for user verification and, when adding one, a
discoverable credential (a resident key), so a passkey alone signs in: the sign-in options
never list credentials, and nothing in them depends on an address typed by a stranger.

Challenges are random, kept in the session for 5 minutes, bound to their purpose (and
user), and used once: a response is checked against the challenge taken out of the
session, right or wrong, and spent in the database (SpentPasskeyChallenge), so that two
requests of one session that read it at once cannot both use it. The authenticator's
sign count is kept: a use whose count does not go up (when the authenticator counts at
all) means a copy of the key exists; it is refused, recorded and mailed to the owner.
Only a response whose signature is right can say so, so a stranger cannot raise that alarm.
"""

import hashlib
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import User
from audit.events import Action, record
from twofactor import notices
from twofactor.models import Passkey, SpentPasskeyChallenge
from twofactor.notices import send_notice

# How the second step and the session name a passkey (twofactor.policy.Method.PASSKEY).
METHOD = "passkey"
RP_NAME = "Hygate"
CHALLENGE_LIFETIME_SECONDS = 5 * 60
NAME_MAX_LENGTH = Passkey._meta.get_field("name").max_length
KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}
# WebAuthn (7.1, step 24): a longer credential id is refused; nor would it fit an index.
CREDENTIAL_ID_MAX_BYTES = 1023


class Ceremony(StrEnum):
    """What a challenge was made for; a response counts only for its own."""

    REGISTER = "register"
    SIGN_IN = "sign_in"
    SECOND_STEP = "second_step"


class PasskeyRefused(Exception):
    """A ceremony's response was refused; `code` says why (for messages, never the details)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str


def relying_party() -> RelyingParty | None:
    """The relying party of HYGATE_SITE_URL, or None when its host is an IP address."""
    parts = urlsplit(settings.HYGATE_SITE_URL)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return RelyingParty(id=host, origin=f"{parts.scheme}://{parts.netloc}") if host else None
    return None


def available() -> bool:
    """Say whether this site can offer passkeys (its address is a name, not an IP)."""
    return relying_party() is not None


def of(user: User) -> list[Passkey]:
    """The user's passkeys, oldest first."""
    return list(Passkey.objects.filter(user=user))


def has_passkey(user: User) -> bool:
    return Passkey.objects.filter(user=user).exists()


def user_handle(user: User) -> bytes:
    """The opaque id an authenticator keeps for the user: never the address or the pk."""
    return salted_hmac("hygate.passkeys.user_handle", str(user.pk)).digest()


# --- challenges ---


def _session_key(ceremony: Ceremony) -> str:
    return f"hygate.passkey_{ceremony.value}"


def _keep_challenge(
    request: HttpRequest, ceremony: Ceremony, challenge: bytes, user: User | None
) -> None:
    request.session[_session_key(ceremony)] = {
        "challenge": bytes_to_base64url(challenge),
        "expires": time.time() + CHALLENGE_LIFETIME_SECONDS,
        "user_id": user.pk if user is not None else None,
    }


def _take_challenge(request: HttpRequest, ceremony: Ceremony, user: User | None) -> bytes:
    """Take the ceremony's challenge out of the session (once); refuse a stale or foreign one."""
    kept = request.session.pop(_session_key(ceremony), None)
    if not kept or kept.get("expires", 0) < time.time():
        raise PasskeyRefused("expired")
    if kept.get("user_id") != (user.pk if user is not None else None):
        raise PasskeyRefused("expired")
    challenge = base64url_to_bytes(kept["challenge"])
    # Two requests of one session may both have read it: only the first may spend it.
    try:
        with transaction.atomic():
            SpentPasskeyChallenge.objects.create(
                digest=hashlib.sha256(challenge).hexdigest(),
                expires_at=datetime.fromtimestamp(kept["expires"], tz=UTC),
            )
    except IntegrityError as error:
        raise PasskeyRefused("expired") from error
    return challenge


def _rp() -> RelyingParty:
    rp = relying_party()
    if rp is None:
        raise PasskeyRefused("unavailable")
    return rp


# --- adding a passkey ---


def registration_options(request: HttpRequest, user: User) -> str:
    """Return the options for navigator.credentials.create() as JSON, keeping the challenge."""
    rp = _rp()
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_id=user_handle(user),
        user_name=user.email,
        user_display_name=user.name or user.email,
        timeout=CHALLENGE_LIFETIME_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        # The same authenticator twice would only be a second name for one key.
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=bytes(p.credential_id)) for p in of(user)
        ],
    )
    _keep_challenge(request, Ceremony.REGISTER, options.challenge, user)
    return options_to_json(options)


def _parsed(response: str) -> dict:
    """The browser's answer as a JSON object; junk (however deeply nested) is refused."""
    try:
        parsed = json.loads(response)
    except (ValueError, RecursionError) as error:
        raise PasskeyRefused("invalid") from error
    if not isinstance(parsed, dict):
        raise PasskeyRefused("invalid")
    return parsed


def _transports(response: dict) -> list[str]:
    given = response.get("response")
    given = given.get("transports") if isinstance(given, dict) else None
    if not isinstance(given, list):
        return []
    return sorted({t for t in given if isinstance(t, str) and t in KNOWN_TRANSPORTS})


def register(request: HttpRequest, user: User, name: str, response: str) -> Passkey:
    """Verify the browser's answer to the registration options and keep the new passkey.

    The notice to the owner carries a "this was not me" link (7 days) that removes it.
    """
    challenge = _take_challenge(request, Ceremony.REGISTER, user)
    rp = _rp()
    try:
        answer = _parsed(response)
        verified = verify_registration_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
        if len(verified.credential_id) > CREDENTIAL_ID_MAX_BYTES:
            raise PasskeyRefused("invalid")
    except (PasskeyRefused, WebAuthnException, ValueError, TypeError, KeyError) as error:
        record(request, Action.PASSKEY_REFUSED, actor=user, target=user, ceremony="register")
        raise PasskeyRefused("invalid") from error
    disown_token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                name=name,
                credential_id=verified.credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=_transports(answer),
                aaguid=str(verified.aaguid),
                backup_eligible=verified.credential_device_type == "multi_device",
                backed_up=verified.credential_backed_up,
                disown_token_hash=notices.token_hash(disown_token),
            )
    except IntegrityError as error:  # this key is registered already (here or elsewhere)
        raise PasskeyRefused("known") from error
    record(request, Action.PASSKEY_ADDED, actor=user, target=user, passkey=passkey.name)
    send_notice(
        user,
        "passkey_added",
        disown_url=settings.HYGATE_SITE_URL
        + reverse("accounts:security_passkey_undo", args=[disown_token]),
        name=passkey.name,
    )
    return passkey


# --- signing in ---


def authentication_options(
    request: HttpRequest, ceremony: Ceremony, user: User | None = None
) -> str:
    """Return the options for navigator.credentials.get() as JSON, keeping the challenge.

    Signing in without a password lists no credentials (the authenticator offers its
    discoverable ones); the second step, whose user already gave the password, lists theirs.
    """
    rp = _rp()
    allowed = (
        [
            PublicKeyCredentialDescriptor(
                id=bytes(p.credential_id),
                transports=[AuthenticatorTransport(t) for t in p.transports],
            )
            for p in of(user)
        ]
        if ceremony is Ceremony.SECOND_STEP and user is not None
        else []
    )
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=CHALLENGE_LIFETIME_SECONDS * 1000,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _keep_challenge(request, ceremony, options.challenge, user)
    return options_to_json(options)


def _credential_id(response: dict) -> bytes:
    raw = response.get("rawId")
    if not isinstance(raw, str):
        raise PasskeyRefused("invalid")
    try:
        return base64url_to_bytes(raw)
    except ValueError as error:
        raise PasskeyRefused("invalid") from error


def authenticate(
    request: HttpRequest, ceremony: Ceremony, response: str, user: User | None = None
) -> Passkey:
    """Verify the browser's answer to the sign-in options; return the passkey that signed.

    With `user` (the second step), only that user's passkeys count.
    """
    challenge = _take_challenge(request, ceremony, user)
    rp = _rp()
    answer = _parsed(response)
    passkey = (
        Passkey.objects.select_related("user")
        .filter(credential_id=_credential_id(answer), user__is_active=True)
        .first()
    )
    if passkey is None or (user is not None and passkey.user_id != user.pk):
        record(request, Action.PASSKEY_REFUSED, actor=None, target=user, ceremony=ceremony.value)
        raise PasskeyRefused("unknown")
    try:
        # The counter is compared below, once the signature is known to be right.
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        record(
            request,
            Action.PASSKEY_REFUSED,
            actor=None,
            target=passkey.user,
            ceremony=ceremony.value,
        )
        raise PasskeyRefused("invalid") from error
    _count_use(request, passkey, verified.new_sign_count, verified.credential_backed_up)
    return passkey


def _count_use(request: HttpRequest, passkey: Passkey, count: int, backed_up: bool) -> None:
    """Keep the new sign count and when it was used; refuse a count that did not go up."""
    now = timezone.now()
    with transaction.atomic():
        locked = Passkey.objects.select_for_update().get(pk=passkey.pk)
        if (count or locked.sign_count) and count <= locked.sign_count:
            cloned = True
        else:
            cloned = False
            Passkey.objects.filter(pk=passkey.pk).update(
                sign_count=count, backed_up=backed_up, last_used_at=now
            )
    if cloned:
        record(
            request,
            Action.PASSKEY_CLONE_SUSPECTED,
            actor=None,
            target=passkey.user,
            passkey=passkey.name,
            sign_count=count,
            known_count=locked.sign_count,
        )
        send_notice(passkey.user, "passkey_cloned", name=passkey.name)
        raise PasskeyRefused("cloned")
    passkey.sign_count, passkey.backed_up, passkey.last_used_at = count, backed_up, now


# --- managing passkeys ---


def rename(request: HttpRequest, passkey: Passkey, name: str) -> None:
    """Give one of the user's passkeys a new name."""
    before = passkey.name
    passkey.name = name
    passkey.save(update_fields=["name"])
    record(
        request,
        Action.PASSKEY_RENAMED,
        actor=passkey.user,
        target=passkey.user,
        passkey=name,
        was=before,
    )


def remove(request: HttpRequest, passkey: Passkey) -> bool:
    """Remove one passkey; the owner is mailed. Say whether it was still there."""
    deleted, _ = Passkey.objects.filter(pk=passkey.pk).delete()
    if deleted:
        record(
            request,
            Action.PASSKEY_REMOVED,
            actor=passkey.user,
            target=passkey.user,
            passkey=passkey.name,
        )
        send_notice(passkey.user, "passkey_removed", name=passkey.name)
    return bool(deleted)


def remove_added_since(user: User, since: datetime) -> int:
    """Remove the passkeys added at or after `since` (the e-mail-change undo link)."""
    newer = list(Passkey.objects.filter(user=user, created_at__gte=since))
    for passkey in newer:
        remove(None, passkey)
    return len(newer)


def purge_spent_challenges() -> int:
    """Delete the spent challenges that would have expired anyway; return how many went."""
    deleted, _ = SpentPasskeyChallenge.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def remove_all(user: User) -> int:
    """Remove every passkey of the user (a staff reset); return how many there were."""
    removed, _ = Passkey.objects.filter(user=user).delete()
    return removed
