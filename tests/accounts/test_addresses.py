"""One mailbox, one account: every spelling of an address reaches the same account, and a
look-alike domain is a different address that squats nothing."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from core.addresses import canonical_email
from organisations.models import Invitation, Membership, Role
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.mailbox import code_in, link_in

SIGNUP = reverse("accounts:signup")
VERIFY = reverse("accounts:verify")
LOGIN = reverse("accounts:login")
RESET = reverse("accounts:password_reset")
STRONG = "a long and unusual passphrase 42"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("  Sam@Example.COM ", "sam@example.com"),
        ("ſam@x.com", "sam@x.com"),  # LATIN SMALL LETTER LONG S folds to s
        ("\u212aim@x.com", "kim@x.com"),  # KELVIN SIGN is a K under NFKC
        ("rob@mıs.com", "rob@xn--ms-hpa.com"),  # a dotless i makes another domain
        ("rob@XN--MS-HPA.com", "rob@xn--ms-hpa.com"),
        ("ana@mü.de", "ana@xn--m-eha.de"),
        ("ana@ﬁ.com", "ana@fi.com"),
    ],
)
def test_an_address_has_one_canonical_form(typed, canonical):
    assert canonical_email(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ıd@x.com", "address_local_part"),  # no ASCII letter is a dotless i
        ("İd@x.com", "address_local_part"),
        ("rob@xn--zz.com", "address_domain"),  # not valid punycode
        ("rob@ex_ample.com", "address_domain"),
        ("a" * 64 + "@" + ".".join(["ü" * 30] * 6) + ".com", "address_too_long"),
        ("no-at-sign", "invalid"),
    ],
)
def test_what_cannot_be_made_canonical_is_refused_by_code(typed, code):
    with pytest.raises(ValidationError) as refused:
        canonical_email(typed)
    assert refused.value.code == code


@given(st.emails())
def test_the_canonical_form_is_its_own_canonical_form(address):
    try:
        once = canonical_email(address)
    except ValidationError:
        return
    assert canonical_email(once) == once
    assert once.isascii()


@pytest.mark.django_db
def test_a_look_alike_domain_does_not_squat_the_real_owners_address(outbox):
    # The attacker owns mıs.com (dotless i) and signs up first.
    Client().post(SIGNUP, {"email": "rob@mıs.com", "password": STRONG})
    [decoy_code] = outbox
    assert decoy_code.to == ["rob@xn--ms-hpa.com"]
    outbox.clear()

    owner = Client()
    response = owner.post(SIGNUP, {"email": "rob@mis.com", "password": STRONG})
    assert response["Location"] == VERIFY
    [code_mail] = outbox
    assert code_mail.to == ["rob@mis.com"]
    assert owner.post(VERIFY, {"code": code_in(code_mail)})["Location"] == "/"
    assert sorted(User.objects.values_list("email", flat=True)) == [
        "rob@mis.com",
        "rob@xn--ms-hpa.com",
    ]

    outbox.clear()
    Client().post(RESET, {"email": "ROB@mis.com"})
    [reset_mail] = outbox
    assert reset_mail.to == ["rob@mis.com"]


@pytest.mark.django_db
def test_a_look_alike_sign_up_for_a_verified_address_gets_no_account_of_its_own(outbox):
    UserFactory(email="sam@x.com")
    response = Client().post(SIGNUP, {"email": "ſam@X.com", "password": STRONG})
    assert response["Location"] == VERIFY
    assert list(User.objects.values_list("email", flat=True)) == ["sam@x.com"]
    assert all(message.to == ["sam@x.com"] for message in outbox)


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["sam@x.com", "SAM@X.COM", "ſam@x.com", "ſAM@x.COM"])
def test_every_spelling_of_an_address_signs_in_to_the_one_account(spelling):
    UserFactory(email="ſam@x.com")
    assert User.objects.get().email == "sam@x.com"
    browser = Client()
    response = browser.post(LOGIN, {"email": spelling, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/"
    assert "sam@x.com" in browser.get("/").content.decode()


@pytest.mark.django_db
def test_the_password_budget_is_one_counter_however_the_address_is_spelled():
    UserFactory(email="sam@x.com")
    spellings = ["sam@x.com", "SAM@X.COM", "ſam@x.com", "Sam@x.com", "ſAM@X.com"]
    with time_machine.travel("2026-12-04 10:00:00+00:00", tick=False):
        for spelling in spellings:
            failed = Client().post(LOGIN, {"email": spelling, "password": "a wrong guess"})
            assert failed.status_code == 400
        again = Client().post(LOGIN, {"email": "ſam@x.com", "password": DEFAULT_PASSWORD})
        assert again.status_code == 429


@pytest.mark.django_db
def test_a_reset_asked_with_another_spelling_goes_to_the_stored_address(outbox):
    UserFactory(email="sam@x.com")
    Client().post(RESET, {"email": "ſAM@X.com"})
    [message] = outbox
    assert message.to == ["sam@x.com"]


@pytest.mark.django_db
def test_an_invitation_to_a_look_alike_spelling_reaches_the_account(client, outbox):
    ada = UserFactory(email="ada@example.com")
    MembershipFactory(user=ada, organisation__slug="acme", role=Role.OWNER)
    sam = UserFactory(email="sam@x.com")
    client.force_login(ada)

    client.post("/orgs/acme/", {"action": "invite", "email": "ſAM@X.com", "role": "member"})
    invitation = Invitation.objects.get()
    assert invitation.email == "sam@x.com"
    [mail] = outbox
    assert mail.to == ["sam@x.com"]

    guest = Client()
    guest.force_login(sam)
    link = link_in(mail).removeprefix("https://id.example.test")
    assert guest.post(link, {"action": "accept"})["Location"] == "/orgs/acme/"
    assert Membership.objects.filter(user=sam, organisation__slug="acme").exists()

    # Now a member under every spelling: no second invitation.
    response = client.post(
        "/orgs/acme/", {"action": "invite", "email": "SAM@x.com", "role": "member"}, follow=True
    )
    assert "sam@x.com is already a member" in response.content.decode()
    assert Invitation.objects.count() == 1


@pytest.mark.django_db
def test_a_form_refuses_an_address_that_cannot_be_made_canonical_with_a_clear_message():
    response = Client().post(SIGNUP, {"email": "ıd@x.com", "password": STRONG})
    assert response.status_code == 400
    assert "before the @" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createsuperuser_stores_the_canonical_form(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STRONG)
    call_command("createsuperuser", "--noinput", "--email", "Root@Exämple.org", verbosity=0)
    assert User.objects.get().email == "root@xn--exmple-cua.org"
    assert User.objects.get_by_natural_key("ROOT@exämple.org").is_superuser


@pytest.mark.django_db
def test_moving_to_a_look_alike_spelling_of_a_taken_address_reaches_its_owner_not_a_code(outbox):
    UserFactory(email="sam@x.com")
    mia = UserFactory(email="mia@example.com")
    laptop = Client()
    laptop.force_login(mia)
    laptop.post(
        reverse("accounts:security_reauthenticate"),
        {"password": DEFAULT_PASSWORD, "next": reverse("accounts:email_change")},
    )
    response = laptop.post(reverse("accounts:email_change"), {"email": "ſAM@X.com"})

    assert response["Location"] == reverse("accounts:email_change_confirm")
    [notice] = outbox
    assert notice.to == ["sam@x.com"]
    assert "someone tried to use your address" in notice.subject
    assert User.objects.get(pk=mia.pk).email == "mia@example.com"


@pytest.mark.django_db
@pytest.mark.parametrize("quoted", ['"sam"@x.com', '"s\\am"@x.com', '"SAM"@X.com'])
def test_a_quoted_spelling_of_a_taken_address_is_refused_not_a_second_account(quoted, outbox):
    # RFC 5321: "sam"@x.com and sam@x.com are one mailbox, so a quoted local part would be a
    # second account (and a second budget, and a way past the suppression list) for it.
    UserFactory(email="sam@x.com")
    response = Client().post(SIGNUP, {"email": quoted, "password": STRONG})
    assert response.status_code == 400
    assert "before the @" in response.content.decode()
    assert list(User.objects.values_list("email", flat=True)) == ["sam@x.com"]
    assert outbox == []


@pytest.mark.parametrize(
    ("typed", "outcome"),
    [
        ("rob\uff20mis.com", "invalid"),  # FULLWIDTH COMMERCIAL AT is no @
        ("rob@mis.com.", "invalid"),  # a trailing dot: refused, not a second spelling
        ("r\u200dob@mis.com", "address_local_part"),  # a zero-width joiner inside
        ("\u00adrob@mis.com", "address_local_part"),  # a soft hyphen
        ("r\u043eb@mis.com", "address_local_part"),  # a Cyrillic o among Latin letters
        ("rob@XN--MS-HPA.com", "rob@xn--ms-hpa.com"),
        ("ro\ufb00@mis.com", "roff@mis.com"),  # LATIN SMALL LIGATURE FF
        ("rob@mis\u3002com", "rob@mis.com"),  # an ideographic full stop is a dot
        ("rob@mi\u00ads.com", "rob@mis.com"),  # a soft hyphen in the domain is dropped
        ("\uff52ob@\uff4dis.com", "rob@mis.com"),  # fullwidth letters
    ],
)
def test_look_alike_spellings_are_refused_or_become_the_one_address(typed, outcome):
    if "@" in outcome:
        assert canonical_email(typed) == outcome
        return
    with pytest.raises(ValidationError) as refused:
        canonical_email(typed)
    assert refused.value.code == outcome
