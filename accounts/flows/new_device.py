"""The new-device notice: a sign-in from a browser that never signed in to the account.

A browser that completed a sign-in carries the account's device cookie (accounts.device).
A sign-in without it e-mails the owner what they need to recognise it: the browser in
words, the IP address, the time with its zone, and the security page. The account's very
first sign-in (the one that completes a sign-up, or a first sign-in of an account staff
made) has nothing to compare with, so it sends none. Every way in completes through
accounts.flows.login.complete, which calls this before the session starts.

Nothing a stranger typed reaches the mail: the User-Agent only through core.useragent's
fixed names, the address only once parsed as one.
"""

import ipaddress
from functools import partial

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts import device
from accounts.models import User
from audit.events import Action, record
from core.after_response import after_response
from core.ratelimit import client_ip
from core.useragent import describe
from emailing.messages import Delivery, send_message


def _address(request: HttpRequest) -> str:
    # An IPv6 zone ("fe80::1%anything") is free text: the address is written without it.
    try:
        return str(ipaddress.ip_address(client_ip(request).strip().partition("%")[0]))
    except ValueError:
        return ""


def is_new_device(request: HttpRequest, user: User) -> bool:
    """Say whether this sign-in comes from a browser new to an account that signed in before."""
    return user.last_login is not None and device.trusted_device(request, user.email) is None


def send_new_device_notice(user: User, browser: str, ip_address: str, when) -> Delivery:
    """E-mail the owner that their account was signed in to from a new browser."""
    return send_message(
        "new_device",
        user.email,
        {
            "user": user,
            "browser": browser,
            "ip_address": ip_address,
            "when": when,
            "security_url": settings.HYGATE_SITE_URL + reverse("accounts:security"),
            "password_reset_url": settings.HYGATE_SITE_URL + reverse("accounts:password_reset"),
        },
    )


def notice_if_new(request: HttpRequest, user: User) -> bool:
    """Tell the owner (after the response) of a sign-in from a new browser; say whether."""
    if not is_new_device(request, user):
        return False
    browser = describe(request.META.get("HTTP_USER_AGENT", ""))
    ip_address = _address(request)
    record(request, Action.NEW_DEVICE_SIGN_IN, actor=user, target=user, browser=browser)
    after_response(
        request, partial(send_new_device_notice, user, browser, ip_address, timezone.now())
    )
    return True
