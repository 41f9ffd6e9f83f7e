"""Every kind of mail: a footer that fits it, the logo without remote images, a dark mode."""

from pathlib import Path

import pytest
from django.conf import settings

from emailing.previews import PREVIEWS, Preview

IGNORE = "you can ignore it"
KINDS_WITH_IGNORE = {
    "verification": "If you did not ask for it, you can ignore it.",
    "account-exists": "If you did not ask for it, you can ignore it.",
    "password-reset": "If you did not ask for it, you can ignore it.",
    "email-change-code": "If you did not ask for it, you can ignore it.",
    "invitation": "If you did not expect it, you can ignore it.",
}
KINDS_THAT_ASK_TO_ACT = {
    "security-notice": (
        "If this was not you, use the links above at once, or contact your administrator."
    ),
    "security-notice-recovery": "If this was not you, use the links above at once",
    "account-notice": "If this was not you, act as it says above, or contact your administrator.",
    "account-notice-email": "If this was not you, act as it says above",
    "two-factor-code": "If that was not you, change your password with the link above.",
    "code-lock": "If it was you, just wait; if it was not, secure your e-mail account",
}


def footer(html: str) -> str:
    return html.split('class="hg-footer"', 1)[1]


@pytest.mark.parametrize("slug", sorted(KINDS_WITH_IGNORE))
def test_mail_nobody_needs_to_act_on_says_it_may_be_ignored(slug):
    html = Preview.html_of(PREVIEWS[slug].render())
    assert KINDS_WITH_IGNORE[slug] in footer(html)


@pytest.mark.parametrize("slug", sorted(KINDS_THAT_ASK_TO_ACT))
def test_security_notices_never_say_they_may_be_ignored(slug):
    html = Preview.html_of(PREVIEWS[slug].render())
    assert IGNORE not in footer(html)
    assert KINDS_THAT_ASK_TO_ACT[slug] in footer(html)


@pytest.mark.parametrize("slug", sorted(PREVIEWS))
def test_every_mail_carries_the_logo_without_remote_images(slug):
    html = Preview.html_of(PREVIEWS[slug].render())
    assert 'class="hg-mark"' in html and ">H</td>" in html
    assert "<img" not in html and "data:" not in html and "url(" not in html


@pytest.mark.parametrize("slug", sorted(PREVIEWS))
def test_every_mail_has_a_dark_mode(slug):
    html = Preview.html_of(PREVIEWS[slug].render())
    assert "@media (prefers-color-scheme: dark)" in html
    assert ".hg-card { background-color: #1a1f27 !important;" in html


def test_every_kind_of_mail_has_a_preview():
    templates = Path(settings.BASE_DIR) / "templates" / "email"
    kinds = {path.name.removesuffix(".subject.txt") for path in templates.glob("*.subject.txt")}
    assert kinds == {preview.template for preview in PREVIEWS.values()}
