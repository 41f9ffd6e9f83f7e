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
