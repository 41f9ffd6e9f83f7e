"""What passwords people may choose: no composition rules, no context words, no breached ones."""

import logging
import random
import re
import socket

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.password_validation import ContextWordsValidator, normalise
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.fakes.pwned_passwords import sha1_hex
from tests.mailbox import link_in

SIGNUP = reverse("accounts:signup")
RESET = reverse("accounts:password_reset")
LOGIN = reverse("accounts:login")
CONTEXT_ERROR = "This password is made mostly of"
BREACHED_ERROR = "This password has appeared in a data breach"

pytestmark = pytest.mark.django_db


def sign_up(client, password, email="new.person@example.com"):
    return client.post(SIGNUP, {"email": email, "password": password})


def reset_password(client, user, password, outbox):
    """Ask for a reset link, open it and submit `password`; return the answer."""
    client.post(RESET, {"email": user.email})
    link = link_in(outbox[-1]).removeprefix("https://id.example.test")
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0]
    return client.post(action, {"new_password1": password, "new_password2": password})


def test_a_long_all_digit_passphrase_is_accepted_at_sign_up(client, outbox):
    response = sign_up(client, "804 271 965 338 410")
    assert response.status_code == 302
    assert User.objects.filter(email="new.person@example.com").exists()


def test_a_common_all_digit_password_is_still_refused(client, outbox):
    response = sign_up(client, "123456789")
    assert response.status_code == 400
    assert "This password is too common." in response.content.decode()
    assert not User.objects.exists()


def test_a_password_made_of_the_site_name_is_refused(client, outbox):
    response = sign_up(client, "Hyg4te-2024!")
    page = response.content.decode()
    assert response.status_code == 400
    assert f"{CONTEXT_ERROR} the site&#x27;s name" in page
    assert "Hyg4te-2024!" not in page
    assert not User.objects.exists()


def test_a_password_made_of_the_sites_host_name_is_refused(client, settings, outbox):
    settings.HYGATE_SITE_URL = "https://id.northwind-traders.example"
    page = sign_up(client, "Northwind_Traders1").content.decode()
    assert f"{CONTEXT_ERROR} the site&#x27;s name" in page


def test_a_newcomer_cannot_build_the_password_from_their_own_address(client, outbox):
    page = sign_up(
        client, "L0velace.Analytical99", email="ada.lovelace@analytical-engines.org"
    ).content.decode()
    assert f"{CONTEXT_ERROR} your e-mail address" in page
    assert not User.objects.exists()


def test_context_words_inside_a_real_passphrase_are_fine(client, outbox):
    response = sign_up(
        client, "hygate is where lovelace keeps her notes", email="ada.lovelace@example.org"
    )
    assert response.status_code == 302


def test_a_reset_password_made_of_an_organisation_name_is_refused(client, outbox):
    member = MembershipFactory(organisation__name="Blue Falcon Robotics").user

    response = reset_password(client, member, "BlueFalcon-Robotics!", outbox)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"{CONTEXT_ERROR} the name of an organisation you belong to" in page
    member.refresh_from_db()
    assert member.check_password(DEFAULT_PASSWORD)

    response = reset_password(client, member, "a falcon rides over the hills at dawn", outbox)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a falcon rides over the hills at dawn")


def test_another_organisations_name_is_no_context_word(client, outbox):
    MembershipFactory(organisation__name="Blue Falcon Robotics")
    response = sign_up(client, "BlueFalcon-Robotics!")
    assert response.status_code == 302


def test_look_alike_characters_and_separators_are_folded_before_comparing():
    assert normalise("HYG@TE") == normalise("hyg4te") == normalise("h-y_g a.t e") == "hygate"
    assert normalise("L0ve1ace") == normalise("lovelace")
    assert normalise("$3cr37") == "secret"
    assert normalise("Hygäte") == "hygate"
    assert normalise("hygate 密码很长很长很长") == "hygate密码很长很长很长"


def test_the_rule_counts_what_is_left_once_context_words_are_removed():
    user = User(email="grace.hopper@navy.example")
    validator = ContextWordsValidator()
    # "hopper" removed leaves "2o2a" (4 characters): too little of one's own.
    with pytest.raises(ValidationError) as refused:
        validator.validate("Hopper2024", user)
    assert refused.value.error_list[0].code == "password_context_words"
    # Eight characters of one's own are enough, as for any password.
    validator.validate("Hopper-sailing-boat", user)
    # Words under four letters do not count: "navy" does, "ada" would not.
    validator.validate("grace is not here", user)
    # No user at all: the site's words still apply.
    with pytest.raises(ValidationError):
        validator.validate("hygatehygate")


def test_a_saved_and_an_unsaved_user_both_work_with_every_validator():
    saved = UserFactory(email="sam.vimes@watch.example")
    unsaved = User(email="sybil.ramkin@dragons.example")
    for user in (saved, unsaved, None):
        password_validation.validate_password("a long unrelated passphrase", user)


def test_the_breached_password_check_is_off_by_default_outside_production():
    # Production turns it on: tests/site/test_deploy.py.
    assert settings.HYGATE_PWNED_PASSWORDS == "off"
    names = [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert "accounts.password_validation.BreachedPasswordValidator" not in names
    assert "django.contrib.auth.password_validation.NumericPasswordValidator" not in names


def test_a_breached_password_is_refused_and_only_a_prefix_leaves(client, pwned_api, outbox):
    breached = "tr0ub4dor and 3 more"
    pwned_api.breach(breached)

    response = sign_up(client, breached)

    assert response.status_code == 400
    assert BREACHED_ERROR in response.content.decode()
    assert not User.objects.exists()
    [request] = pwned_api.requests
    assert request["path"] == "/range/" + sha1_hex(breached)[:5]
    assert request["headers"]["Add-Padding"] == "true"
    assert sha1_hex(breached)[5:] not in str(request)


def test_a_password_not_in_any_breach_is_accepted(client, pwned_api, outbox):
    pwned_api.breach("some other password entirely")
    response = sign_up(client, "a long and unusual passphrase 42")
    assert response.status_code == 302
    assert len(pwned_api.requests) == 1


def test_a_breached_password_is_refused_at_reset(client, user, pwned_api, outbox):
    pwned_api.breach("a brand new passphrase 77")
    response = reset_password(client, user, "a brand new passphrase 77", outbox)
    assert response.status_code == 200
    assert BREACHED_ERROR in response.content.decode()


def assert_skip_logged(caplog, password: str) -> None:
    [record] = [r for r in caplog.records if r.name == "hygate.passwords"]
    assert record.levelname == "WARNING"
    assert "checked against the bundled list of common breached passwords only" in (
        record.getMessage()
    )
    assert password not in record.getMessage()
    assert sha1_hex(password)[:5] not in record.getMessage()


def test_when_the_service_cannot_answer_the_bundled_list_still_refuses_common_passwords(
    client, pwned_api, settings, outbox, caplog
):
    # Alone, so the refusal is the breached-password check's own, not Django's common list.
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "accounts.password_validation.BreachedPasswordValidator"}
    ]
    pwned_api.status = 503
    with caplog.at_level(logging.WARNING, logger="hygate.passwords"):
        refused = sign_up(client, "Password123")
    assert refused.status_code == 400
    assert BREACHED_ERROR in refused.content.decode()
    assert not User.objects.exists()
    assert_skip_logged(caplog, "Password123")

    assert sign_up(client, "a long and unusual passphrase 42").status_code == 302


def test_when_the_service_fails_the_password_is_let_through_and_logged(
    client, pwned_api, outbox, caplog
):
    pwned_api.status = 503
    with caplog.at_level(logging.WARNING, logger="hygate.passwords"):
        response = sign_up(client, "a long and unusual passphrase 42")
    assert response.status_code == 302
    assert_skip_logged(caplog, "a long and unusual passphrase 42")
    assert "HTTP 503" in caplog.records[-1].getMessage()


def test_when_the_service_hangs_the_password_is_let_through_within_the_timeout(
    client, pwned_api, outbox, caplog
):
    pwned_api.delay = 1.0
    with caplog.at_level(logging.WARNING, logger="hygate.passwords"):
        response = sign_up(client, "a long and unusual passphrase 42")
    assert response.status_code == 302
    assert_skip_logged(caplog, "a long and unusual passphrase 42")
    assert "ReadTimeout" in caplog.records[-1].getMessage()


def test_when_nothing_answers_the_password_is_let_through(
    client, pwned_api, settings, outbox, caplog
):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.HYGATE_PWNED_PASSWORDS_URL = f"http://127.0.0.1:{port}/range/"
    with caplog.at_level(logging.WARNING, logger="hygate.passwords"):
        response = sign_up(client, "a long and unusual passphrase 42")
    assert response.status_code == 302
    assert_skip_logged(caplog, "a long and unusual passphrase 42")


def test_seven_characters_are_too_few(client, outbox):
    page = sign_up(client, "x7#kq2v").content.decode()
    assert "This password is too short. It must contain at least 8 characters." in page


def test_a_long_password_works_exactly_as_typed(client):
    typed = "  Ninety-Nine Luftballons auf ihrem Weg zum Horizont, ganz genau wie getippt!  "
    assert len(typed) > 64
    user = UserFactory(password=typed)

    assert client.post(LOGIN, {"email": user.email, "password": typed})["Location"] == "/"
    for changed in (typed.strip(), typed.lower(), typed[:64]):
        refused = Client().post(LOGIN, {"email": user.email, "password": changed})
        assert refused.status_code == 400


def test_a_long_password_is_accepted_at_sign_up(client, outbox):
    typed = "a sentence of more than sixty-four characters, typed or pasted in one go"
    assert len(typed) > 64
    assert sign_up(client, typed).status_code == 302
    assert User.objects.get().check_password(typed)


@pytest.mark.parametrize("path", [SIGNUP, LOGIN])
def test_password_fields_are_masked_and_welcome_paste_and_password_managers(client, path):
    page = client.get(path).content.decode()
    [field] = re.findall(r"<input[^>]*name=\"password\"[^>]*>", page)
    assert 'type="password"' in field
    assert re.search(r'autocomplete="(current|new)-password"', field)
    for blocker in ("onpaste", "oncopy", "ondrop", 'autocomplete="off"'):
        assert blocker not in page
    # The one script is the site's own, and it never stops a paste.
    own = ['<script src="/static/hygate/hygate.js" defer>']
    if "passkeys.js" in page:  # the sign-in page's passkey ceremony, a static file too
        own.append('<script src="/static/hygate/passkeys.js" defer>')
    assert re.findall(r"<script[^>]*>", page) == own
    script = (settings.BASE_DIR / "static" / "hygate" / "hygate.js").read_text()
    assert not re.search(r'"(paste|copy|drop)",[^}]*preventDefault', script)


def test_a_password_set_years_ago_still_signs_in(client):
    with time_machine.travel("2020-01-01 09:00:00+00:00", tick=False):
        user = UserFactory()
    with time_machine.travel("2026-01-01 09:00:00+00:00", tick=False):
        response = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/"


def test_nobody_is_asked_for_a_hint_or_a_secret_question(client):
    page = client.get(SIGNUP).content.decode()
    inputs = set(re.findall(r'<(?:input|textarea|select)[^>]*name="([a-z_0-9]+)"', page))
    assert inputs <= {"csrfmiddlewaretoken", "email", "name", "password", "next"}
    fields = {f.name for f in User._meta.get_fields()}
    assert not {f for f in fields if "hint" in f or "question" in f or "answer" in f}


def test_a_fresh_database_holds_no_account_at_all():
    # Migrations create no default user; the development admin gets a random password.
    assert not User.objects.exists()


def test_codes_and_secrets_do_not_follow_a_seeded_random_generator():
    """Codes come from the operating system's CSPRNG (`secrets`), not from `random`."""
    from accounts.codes import generate_code
    from twofactor import recovery_codes, totp

    def draw():
        random.seed(1234)
        return (
            [generate_code() for _ in range(5)],
            [recovery_codes._new_code() for _ in range(5)],
            totp.new_secret(),
        )

    assert draw() != draw()
