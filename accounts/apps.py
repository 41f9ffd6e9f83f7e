from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import sessions
        from accounts.purge import purge_expired_codes, purge_unverified_accounts
        from core import purge

        purge.register("expired codes removed", purge_expired_codes)
        purge.register("accounts never verified removed", purge_unverified_accounts)
        purge.register("idle session records removed", sessions.purge_stale_sessions)
        purge.register("expired sessions removed", sessions.purge_expired_sessions)
