"""Signing up: an unverified account and a code, or, for a known address, a notice."""

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.flows import login as login_flow
from accounts.flows import verification
from accounts.models import User
from emailing.messages import Delivery


def sign_up(
    request: HttpRequest, email: str, password: str, name: str = "", next_url: str = ""
) -> Delivery:
    """Create an unverified account and e-mail its code, revealing nothing about known addresses.

    When the address already has an account, nothing is created: its owner gets a notice
    and this visitor sees the same code page as anyone else.
    """
    login_flow.cancel(request)
    if User.objects.filter(email__iexact=email).exists():
        return _notify_existing_owner(request, email, password, next_url)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError:  # the same address signed up at this very moment
        return _notify_existing_owner(request, email, password, next_url)
    return verification.start(request, user, next_url)


def _notify_existing_owner(
    request: HttpRequest, email: str, password: str, next_url: str
) -> Delivery:
    owner = User.objects.filter(email__iexact=email, is_active=True).first()
    make_password(password)  # spend the same hashing time as a real sign-up
    verification.start_decoy(request, email, next_url)
    return verification.send_account_exists_notice(owner) if owner else Delivery(sent=True)
