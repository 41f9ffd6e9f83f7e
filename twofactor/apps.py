from django.apps import AppConfig


class TwofactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = "Two-factor"

    def ready(self) -> None:
        # trust: trusted browsers plug into signing in and bulk sign-outs (twofactor.trust).
        from accounts import browser_trust, signals
        from core import purge
        from twofactor import trust

        browser_trust.register(trust.skip_second_step, trust.trust_browser)
        signals.sessions_ended.connect(trust.on_sessions_ended, dispatch_uid="hygate-trust-end")
        purge.register("expired trusted browsers removed", trust.purge_expired)
