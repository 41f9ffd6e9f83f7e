"""`{% passkeys_available as name %}`: whether pages may offer passkeys on this site."""

from django import template

from twofactor import passkeys

register = template.Library()


@register.simple_tag
def passkeys_available() -> bool:
    """Say whether this site's address allows passkeys (a name, not an IP address)."""
    return passkeys.available()
