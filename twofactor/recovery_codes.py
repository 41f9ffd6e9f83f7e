"""Recovery codes: ten single-use codes per user, shown once, stored as salted slow hashes.

Codes look like `k7dq2-mxa4p`: 10 characters from the RFC 4648 base32 alphabet (no 0, 1,
8 or 9 to mistake for O, I, L or B), 50 random bits each. Typed input is normalised
(case, spaces, dashes) before it is compared.
"""

import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from twofactor.models import RecoveryCode

COUNT = 10
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
LENGTH = 10


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(raw: str) -> str:
    """Drop spaces and dashes and lower the case of a typed recovery code."""
    return "".join(ch for ch in raw if ch not in " -\t").lower()


def looks_like_code(raw: str) -> bool:
    """Say whether the input could be a recovery code at all (cheap, before any hashing)."""
    code = normalise(raw)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


@transaction.atomic
def generate(user: User) -> list[str]:
    """Replace all of the user's recovery codes with ten new ones; return them, once."""
    codes = [_new_code() for _ in range(COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=make_password(normalise(code))) for code in codes
    )
    return codes


def remaining(user: User) -> int:
    """Return how many unused recovery codes the user has."""
    return RecoveryCode.objects.filter(user=user, used_at=None).count()


def use(user: User, raw: str) -> int | None:
    """Spend a recovery code; return how many remain, or None if it is wrong or used.

    Spending is a conditional UPDATE on `used_at IS NULL`, so two requests with the
    same code at once are accepted once.
    """
    if not looks_like_code(raw):
        return None
    code = normalise(raw)
    for candidate in RecoveryCode.objects.filter(user=user, used_at=None).order_by("pk"):
        if check_password(code, candidate.code_hash):
            spent = RecoveryCode.objects.filter(pk=candidate.pk, used_at=None).update(
                used_at=timezone.now()
            )
            return remaining(user) if spent else None
    return None
