"""Staff preview every kind of e-mail from Settings -> Email, as real mail renders it."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from emailing.models import EmailLog
from emailing.previews import PREVIEWS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page(slug: str) -> str:
    return reverse("emailing:preview", args=[slug])


def raw(slug: str) -> str:
    return reverse("emailing:preview_html", args=[slug])


@pytest.fixture
def reader(client):
    user = UserFactory(staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_emailsettings"))
    client.force_login(user)
    return user


def test_previews_need_the_permission_to_read_the_email_settings(client):
    assert client.get(page("invitation"))["Location"].startswith("/accounts/login/")
    assert client.get(raw("invitation"))["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get(page("invitation")).status_code == 403
    client.force_login(UserFactory(staff=True))  # staff, but no permission
    assert client.get(page("invitation")).status_code == 403
    assert client.get(raw("invitation")).status_code == 403


def test_settings_page_links_every_preview(client, reader):
    settings_page = client.get(reverse("emailing:settings")).content.decode()
    for slug, preview in PREVIEWS.items():
        assert f'href="{page(slug)}"' in settings_page
        assert preview.title.replace("'", "&#x27;") in settings_page


@pytest.mark.parametrize("slug", sorted(PREVIEWS))
def test_each_kind_shows_its_subject_html_and_text(client, reader, slug):
    message = PREVIEWS[slug].render()

    response = client.get(page(slug))

    shown = response.content.decode()
    assert response.status_code == 200
    assert message.subject.replace("'", "&#x27;") in shown
    assert f'src="{raw(slug)}"' in shown and "<iframe" in shown and "sandbox" in shown
    assert message.body.splitlines()[0].replace("'", "&#x27;") in shown  # the plain-text part
    html = client.get(raw(slug))
    assert html.status_code == 200
    assert html.content.decode().startswith("<!doctype html>")
    assert EmailLog.objects.count() == 0 and mail.outbox == []  # nothing was sent


def test_the_mail_is_served_framable_by_this_site_only_and_without_scripts(client, reader):
    response = client.get(raw("security-notice"))

    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "script-src" not in policy and "img-src 'none'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # Every other page still refuses to be framed.
    assert client.get(page("security-notice"))["X-Frame-Options"] == "DENY"


def test_the_dark_view_forces_the_mails_dark_rules(client, reader):
    light = client.get(raw("invitation")).content.decode()
    dark = client.get(raw("invitation") + "?scheme=dark").content.decode()

    assert 'class="hg-body"' in light and "hg-dark" not in light.split("</style>")[1]
    assert 'class="hg-body hg-dark"' in dark
    framed = client.get(page("invitation") + "?scheme=dark").content.decode()
    assert f'src="{raw("invitation")}?scheme=dark"' in framed


def test_an_unknown_kind_is_404(client, reader):
    assert client.get(page("no-such-mail")).status_code == 404
    assert client.get(raw("no-such-mail")).status_code == 404
