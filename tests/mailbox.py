"""Read what a user would read in the e-mails the suite sends."""

import re

from django.core.mail import EmailMultiAlternatives


def code_in(message: EmailMultiAlternatives) -> str:
    """Return the 6-digit code of a code e-mail, as the reader sees it in the body."""
    match = re.search(r"^\s+(\d{6})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def link_in(message: EmailMultiAlternatives) -> str:
    """Return the first https link in an e-mail's plain-text body."""
    match = re.search(r"https://\S+", message.body)
    assert match, message.body
    return match.group(0)


def html_of(message: EmailMultiAlternatives) -> str:
    """Return the HTML alternative of a message."""
    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert html, "the message has no HTML part"
    return html[0]


NEW_DEVICE_SUBJECT = "a sign-in from a new browser"


def new_device_notices(outbox: list) -> list:
    """The new-device notices among the messages (accounts.flows.new_device)."""
    return [message for message in outbox if NEW_DEVICE_SUBJECT in message.subject]


def besides_new_device(outbox: list) -> list:
    """The messages other than new-device notices, for a story told in other mail."""
    return [message for message in outbox if NEW_DEVICE_SUBJECT not in message.subject]
