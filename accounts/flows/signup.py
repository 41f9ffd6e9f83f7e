"""Signing up: an unverified account and a code, or, for a verified address, a decoy."""

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.flows import login as login_flow
from accounts.flows import verification
from accounts.models import User
from accounts.process import SendOutcome
from audit.events import Action, record


def sign_up(
    request: HttpRequest, email: str, password: str, name: str = "", next_url: str = ""
) -> SendOutcome:
    """Open an account and e-mail its code, revealing nothing about known addresses.

    - A new address: an unverified account, and a code.
    - An address whose account is not verified yet: a real code too; the password (and
      name) typed here replace the old ones only once the code is confirmed, so the
      address's owner always wins over whoever signed up with it first.
    - A verified (or deactivated) address: nothing changes; its owner gets a notice, and
      this visitor sees the same code page, cooldown and quota as anyone else, after the
      same work (a password hashed, a message rendered and handed to the provider).
    """
    login_flow.cancel(request)
    existing = User.objects.filter(email=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, name=name)
        except IntegrityError:  # the same address signed up at this very moment
            existing = User.objects.filter(email=email).first()
        else:
            record(request, Action.SIGN_UP, actor=user, target=user, outcome="new_account")
            return verification.start(request, user, next_url)
    if existing is not None and existing.is_active and not existing.is_verified:
        record(request, Action.SIGN_UP, target=existing, outcome="unverified_again")
        return verification.start(request, existing, next_url, password=password, name=name)
    make_password(password)  # spend the same hashing time as a real sign-up
    owner = existing if existing is not None and existing.is_active else None
    record(request, Action.SIGN_UP, target=owner, outcome="address_taken")
    # A deactivated account's budget too: its address must answer as any other would.
    return verification.start_decoy(request, email, existing, next_url)
