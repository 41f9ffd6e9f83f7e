"""Register an app that signs people in with Hygate: `manage.py oidc_client create ...`."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oidc import flows
from oidc.forms import clean_uris


class Command(BaseCommand):
    help = "Register an app that signs people in with Hygate (OpenID Connect); prints JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Register an app; its secret is printed once.")
        create.add_argument("--name", required=True)
        create.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        create.add_argument(
            "--post-logout-redirect-uri", action="append", default=[], dest="post_logout_uris"
        )
        create.add_argument("--public", action="store_true", help="No secret; PKCE required.")
        create.add_argument("--trusted", action="store_true", help="Skip the consent page.")

    def handle(self, *args, action: str, **options) -> None:
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        try:
            redirect_uris = clean_uris("\n".join(options["redirect_uris"]), required=True)
            logout_uris = clean_uris("\n".join(options["post_logout_uris"]), required=False)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        app, secret = flows.register_app(
            None,
            flows.AppSettings(
                name=name,
                redirect_uris=redirect_uris,
                post_logout_redirect_uris=logout_uris,
                public=options["public"],
                trusted=options["trusted"],
            ),
            by=None,
        )
        answer = {"client_id": app.client_id, "name": app.name}
        if secret:
            answer["client_secret"] = secret
        self.stdout.write(json.dumps(answer))
