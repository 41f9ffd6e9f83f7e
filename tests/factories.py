"""factory-boy factories for the suite's data."""

import factory
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from emailing.crypto import encrypt
from emailing.models import EmailSettings

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
