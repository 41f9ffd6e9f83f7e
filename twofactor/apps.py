from django.apps import AppConfig


class TwofactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = "Two-factor"

    def ready(self) -> None:
        # checks register themselves (system checks).
        from accounts import factors
        from core import access
        from twofactor import authenticators, checks, staff_access  # noqa: F401
        from twofactor.signin_step import SecondStepOfSignIn
        from twofactor.verify import StepUpByApp

        # accounts asks for the second step, the step-up's factor, and the removals through
        # this seam; it never imports twofactor.
        factors.register(
            sign_in_step=SecondStepOfSignIn(),
            step_up_factor=StepUpByApp(),
            remove_added_since=authenticators.remove_factors_added_since,
            staff_reset=authenticators.staff_reset,
        )
        access.register_staff_session_check(staff_access.refuse_session_without_app)
        # bulk sign-outs in accounts end trusted browsers too; expired ones are purged.
        from accounts import signals
        from core import purge
        from twofactor import passkeys, trust

        signals.sessions_ended.connect(trust.on_sessions_ended, dispatch_uid="hygate-trust-end")
        purge.register("expired trusted browsers removed", trust.purge_expired)
        purge.register("spent passkey challenges removed", passkeys.purge_spent_challenges)
