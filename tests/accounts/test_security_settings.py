"""An admin sets the site's two-factor policy on Settings -> Security; operators check it."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from tests.factories import (
    AuthenticatorFactory,
    RecoveryCodeFactory,
    SecurityPolicyFactory,
    UserFactory,
)
from twofactor.models import Authenticator, RecoveryCode, SecurityPolicy

PAGE = reverse("security_settings")

pytestmark = pytest.mark.django_db


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=("accounts", "twofactor"), codename__in=codenames
        )
    )


def test_the_page_lives_at_settings_security():
    assert PAGE == "/settings/security/"


def test_visitors_sign_in_and_staff_without_permission_get_403(client):
    assert client.get(PAGE)["Location"] == f"/accounts/login/?next={PAGE}"
    client.force_login(UserFactory())
    assert client.get(PAGE).status_code == 403
    client.force_login(UserFactory(staff=True))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"two_factor_policy": "off"}).status_code == 403
    assert not SecurityPolicy.objects.exists()


def test_staff_who_may_only_view_see_the_policy_but_cannot_save(client):
    viewer = UserFactory(staff=True)
    grant(viewer, "view_securitypolicy")
    client.force_login(viewer)

    page = client.get(PAGE).content.decode()
    assert "In force: <strong>Off</strong>" in page
    assert "permission to change the security policy" in page
    assert 'name="two_factor_policy"' not in page
    assert client.post(PAGE, {"two_factor_policy": "email"}).status_code == 403
    assert SecurityPolicy.load().two_factor_policy == "off"
    assert f'href="{PAGE}"' in client.get("/").content.decode()


def test_an_admin_changes_the_policy_and_who_changed_what_is_recorded(client):
    admin = UserFactory(staff=True, email="olive@example.com")
    grant(admin, "view_securitypolicy", "change_securitypolicy")
    client.force_login(admin)

    page = client.get(PAGE).content.decode()
    for value in ("off", "email", "totp", "either"):
        assert f'value="{value}"' in page
    assert 'type="radio"' in page and "csrfmiddlewaretoken" in page
    assert "the inbox that receives password-reset links also receives the codes" in page
    assert "stronger choice, above all for administrators" in page

    response = client.post(PAGE, {"two_factor_policy": "email"}, follow=True)
    assert "Two-factor policy saved: E-mailed code (was Off)." in response.content.decode()
    saved = SecurityPolicy.load()
    assert saved.two_factor_policy == "email"
    assert saved.updated_by == admin
    entry = LogEntry.objects.get()
    assert entry.user == admin
    assert entry.change_message == (
        "Changed two-factor policy from off (Off) to email (E-mailed code)."
    )
    assert "set by olive@example.com" in response.content.decode()


def test_an_unknown_policy_is_refused(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(PAGE, {"two_factor_policy": "sometimes"})
    assert response.status_code == 400
    assert SecurityPolicy.load().two_factor_policy == "off"
    assert not LogEntry.objects.exists()


def test_a_superuser_may_change_it_without_explicit_permissions(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.post(PAGE, {"two_factor_policy": "either"}).status_code == 302
    assert SecurityPolicy.load().two_factor_policy == "either"


def test_staff_reset_a_users_second_factor_from_the_admin(client, outbox):
    member = AuthenticatorFactory().user
    for code in ("aaaaa-bbbbb", "ccccc-ddddd"):
        RecoveryCodeFactory(user=member, code=code)
    operator = UserFactory(staff=True)
    grant(operator, "view_user", "reset_two_factor")  # the help desk needs no change_user
    client.force_login(operator)

    changelist = reverse("admin:accounts_user_changelist")
    assert "Reset two-factor" in client.get(changelist).content.decode()
    response = client.post(
        changelist,
        {"action": "reset_two_factor", "_selected_action": [member.pk]},
        follow=True,
    )

    assert "Two-factor reset for 1 user(s)" in response.content.decode()
    assert not Authenticator.objects.filter(user=member).exists()
    assert not RecoveryCode.objects.filter(user=member).exists()
    entry = LogEntry.objects.get(object_id=str(member.pk))
    assert entry.user == operator
    assert entry.change_message == (
        "Reset two-factor: removed the authenticator app and 2 recovery codes."
    )
    [notice] = outbox
    assert notice.to == [member.email]
    assert "two-factor sign-in was reset" in notice.subject
    assert "An administrator reset two-factor sign-in" in notice.body


def test_staff_without_the_reset_permission_cannot_reset(client):
    member = AuthenticatorFactory().user
    viewer = UserFactory(staff=True)
    grant(viewer, "view_user", "change_user")  # changing users is not resetting two-factor
    client.force_login(viewer)
    changelist = reverse("admin:accounts_user_changelist")
    client.post(changelist, {"action": "reset_two_factor", "_selected_action": [member.pk]})
    assert Authenticator.objects.filter(user=member).exists()


def test_two_factor_status_prints_the_policy_and_the_methods_in_use(capsys):
    admin = UserFactory(email="olive@example.com")
    SecurityPolicyFactory(two_factor_policy="either", updated_by=admin)
    with_codes = AuthenticatorFactory().user
    RecoveryCodeFactory(user=with_codes)
    RecoveryCodeFactory(user=with_codes, code="ccccc-ddddd")
    AuthenticatorFactory()  # every code used
    AuthenticatorFactory(unconfirmed=True)  # counts as e-mail only
    AuthenticatorFactory(user=UserFactory(is_active=False))  # not counted

    call_command("two_factor_status")
    out = capsys.readouterr().out

    assert "Two-factor policy: either (set by olive@example.com" in out
    assert "active users:                  4" in out
    assert "authenticator app:             2" in out
    assert "  with recovery codes left:    1" in out
    assert "  with no recovery codes left: 1" in out
    assert "e-mail only:                   2" in out
    assert "unused recovery codes:         2" in out


def test_each_policy_is_a_radio_button_with_a_hint_that_says_what_it_means(client):
    from django.utils.html import escape

    from twofactor.forms import POLICY_HELP

    SecurityPolicyFactory(two_factor_policy="either")
    client.force_login(UserFactory(staff=True, is_superuser=True))

    page = client.get(PAGE).content.decode()

    for value, label in SecurityPolicy.TwoFactor.choices:
        assert f'<label for="policy-{value}">{label}</label>' in page
        assert f'aria-describedby="policy-{value}-hint"' in page
        assert f'<p class="hint" id="policy-{value}-hint">{escape(POLICY_HELP[value])}</p>' in page
    assert 'value="either" id="policy-either" aria-describedby="policy-either-hint" checked' in page
    assert "<legend" in page and "Two-factor sign-in" in page


def test_the_page_says_members_sign_in_with_a_password_alone_while_the_policy_is_off(client):
    viewer = UserFactory(staff=True)
    grant(viewer, "view_securitypolicy")
    client.force_login(viewer)
    warning = "members sign in with a password alone"

    assert warning in client.get(PAGE).content.decode()
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EITHER)
    assert warning not in client.get(PAGE).content.decode()


def test_check_deploy_warns_while_the_member_policy_is_off():
    def deploy_warnings() -> str:
        try:
            call_command("check", "--deploy", "--tag", "hygate", "--fail-level", "WARNING")
        except SystemCheckError as error:
            return str(error)
        return ""

    assert "hygate.W006" in deploy_warnings()
    SecurityPolicyFactory(two_factor_policy=SecurityPolicy.TwoFactor.EMAIL)
    assert "hygate.W006" not in deploy_warnings()
