"""End the signed-in sessions of one user (--user EMAIL) or of everyone (--all)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import sessions
from accounts.models import User, UserSession
from core.addresses import email_key

DB_ENGINE = "django.contrib.sessions.backends.db"


class Command(BaseCommand):
    help = "Sign out every session of one user (--user EMAIL) or of every user (--all)."

    def add_arguments(self, parser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", metavar="EMAIL", help="the e-mail address of the account")
        who.add_argument("--all", action="store_true", help="every user")

    def handle(self, *args, **options) -> None:
        if options["user"]:
            user = User.objects.filter(email=email_key(options["user"])).first()
            if user is None:
                raise CommandError(f"No account has the address {options['user']}.")
            ended = sessions.end_sessions_for_operator(user, via="command")
            self.stdout.write(f"Ended {ended} session(s) of {user.email}.")
            return
        ended = 0
        users = User.objects.filter(pk__in=UserSession.objects.values("user"))
        for user in users:
            ended += sessions.end_sessions_for_operator(user, via="command")
        if settings.SESSION_ENGINE == DB_ENGINE:
            # Sessions signed in before they were tracked have no row: empty the store too.
            from django.contrib.sessions.models import Session

            Session.objects.all().delete()
        self.stdout.write(f"Ended {ended} session(s) of {users.count()} user(s).")
