from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # checks and privileges register themselves (system checks, signal receivers).
        from accounts import (  # noqa: F401
            checks,
            password_validation,
            privileges,
            sessions,
        )
        from accounts.purge import purge_expired_codes, purge_unverified_accounts
        from core import password_words, purge

        purge.register("expired codes removed", purge_expired_codes)
        purge.register("accounts never verified removed", purge_unverified_accounts)
        purge.register("idle session records removed", sessions.purge_stale_sessions)
        purge.register("expired sessions removed", sessions.purge_expired_sessions)
        password_words.register(
            password_validation.SITE_WORDS_LABEL, password_validation.site_words
        )
        password_words.register(
            password_validation.EMAIL_WORDS_LABEL, password_validation.email_words
        )
