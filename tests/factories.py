"""factory-boy factories for the suite's data."""

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from core.crypto import encrypt
from emailing.models import EmailSettings
from organisations.models import (
    INVITATION_LIFETIME,
    Invitation,
    Membership,
    Organisation,
    Role,
    hash_token,
)
from twofactor import recovery_codes, totp
from twofactor.models import Authenticator, RecoveryCode, SecurityPolicy

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A verified, active user whose password is DEFAULT_PASSWORD."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = DEFAULT_PASSWORD

    class Params:
        unverified = factory.Trait(email_verified_at=None)
        staff = factory.Trait(is_staff=True)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class EmailSettingsFactory(factory.django.DjangoModelFactory):
    """Settings saved on Settings -> Email; pass plain `api_key` / `password`, stored encrypted."""

    class Meta:
        model = EmailSettings
        django_get_or_create = ("id",)

    class Params:
        api_key = ""
        password = ""

    id = 1
    provider = "resend"
    from_email = "Hygate <owner@verified.example>"
    version = 1
    resend_api_key = factory.LazyAttribute(lambda o: encrypt(o.api_key))
    resend_api_url = factory.LazyFunction(lambda: settings.RESEND_API_URL)
    smtp_password = factory.LazyAttribute(lambda o: encrypt(o.password))


class AuthenticatorFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator app; pass a plain base32 `key` (default: a fresh one)."""

    class Meta:
        model = Authenticator

    class Params:
        key = factory.LazyFunction(totp.new_secret)
        unconfirmed = factory.Trait(confirmed_at=None)

    user = factory.SubFactory(UserFactory)
    secret = factory.LazyAttribute(lambda o: encrypt(o.key))
    confirmed_at = factory.LazyFunction(timezone.now)


class RecoveryCodeFactory(factory.django.DjangoModelFactory):
    """One unused recovery code; pass the plain `code` to know it (stored hashed)."""

    class Meta:
        model = RecoveryCode

    class Params:
        code = "abcde-fghij"

    user = factory.SubFactory(UserFactory)
    code_hash = factory.LazyAttribute(lambda o: make_password(recovery_codes.normalise(o.code)))


class SecurityPolicyFactory(factory.django.DjangoModelFactory):
    """The saved two-factor policy (the single row, id=1)."""

    class Meta:
        model = SecurityPolicy

    id = 1
    two_factor_policy = SecurityPolicy.TwoFactor.OFF

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        policy, _ = model_class.objects.update_or_create(id=kwargs.pop("id"), defaults=kwargs)
        return policy


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member; pass role=Role.OWNER or Role.ADMIN for more."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation whose link carries `token` (stored only as its hash)."""

    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"test-invitation-token-{n:04d}-abcdefghijklmnopqrst")

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    invited_by = factory.SubFactory(UserFactory)
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + INVITATION_LIFETIME)
