"""The relying party's backend: README's HygateBackend, knowing people by Hygate's `sub`.

This app runs in Hygate's own process and database, so "the app's user" for a `sub` is
simply the Hygate account with that subject: the test then checks that the app signed in
the very person who signed in to Hygate.
"""

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class HygateBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(oidc_subject__value=claims.get("sub", ""))

    def create_user(self, claims):
        return None  # the app only lets in people it knows

    def update_user(self, user, claims):
        self.last_claims = claims
        return user
