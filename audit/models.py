"""One row per security event: who did what to whom, when, and from where."""

from django.conf import settings
from django.db import models

from core import useragent


class AuditEvent(models.Model):
    """A security event. Details name fields and outcomes, never secrets or their values."""

    class Action(models.TextChoices):
        # Every action the portal records, in one place. Call sites pass these members.
        SIGN_UP = "sign_up", "Signed up"
        EMAIL_VERIFIED = "email_verified", "Verified e-mail address"
        VERIFICATION_LOCKED = "verification_locked", "E-mail verification locked"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGNED_OUT = "signed_out", "Signed out"
        TWO_FACTOR_CHALLENGE = "two_factor_challenge", "Asked for the second factor"
        TWO_FACTOR_PASSED = "two_factor_passed", "Passed the second factor"
        TWO_FACTOR_FAILED = "two_factor_failed", "Second factor failed"
        TWO_FACTOR_LOCKED = "two_factor_locked", "Second factor locked"
        EMAIL_CHANGE_LOCKED = "email_change_locked", "E-mail change locked"
        REENROLMENT_LOCKED = "reenrolment_locked", "Authenticator set-up locked"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Asked for a password reset"
        PASSWORD_RESET_COMPLETED = "password_reset_completed", "Reset the password"
        PASSWORD_CHANGED = "password_changed", "Changed the password"
        EMAIL_CHANGE_REQUESTED = "email_change_requested", "Asked to change the e-mail address"
        EMAIL_CHANGED = "email_changed", "Changed the e-mail address"
        EMAIL_CHANGE_UNDONE = "email_change_undone", "Undid an e-mail address change"
        PROFILE_CHANGED = "profile_changed", "Changed the profile"
        RATE_LIMITED = "rate_limited", "Stopped by a rate limit"
        EMAIL_FAILED = "email_failed", "E-mail not delivered"
        SETTINGS_CHANGED = "settings_changed", "Changed site settings"
        ORGANISATION_CREATED = "organisation_created", "Created an organisation"
        INVITATION_SENT = "invitation_sent", "Sent an invitation"
        INVITATION_ACCEPTED = "invitation_accepted", "Accepted an invitation"
        INVITATION_DECLINED = "invitation_declined", "Declined an invitation"
        INVITATION_REVOKED = "invitation_revoked", "Revoked an invitation"
        ROLE_CHANGED = "role_changed", "Changed a member's role"
        MEMBER_REMOVED = "member_removed", "Removed a member"
        MEMBER_LEFT = "member_left", "Left an organisation"
        TWO_FACTOR_RESET_BY_STAFF = "two_factor_reset_by_staff", "Staff reset two-factor"
        SESSION_ENDED = "session_ended", "Ended a session"
        AUTHENTICATOR_ADDED = "authenticator_added", "Added an authenticator app"
        AUTHENTICATOR_REMOVED = "authenticator_removed", "Removed the authenticator app"
        RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Made new recovery codes"
        RECOVERY_CODES_REMOVED = "recovery_codes_removed", "Removed recovery codes"
        AUTHENTICATOR_DISOWNED = (
            "authenticator_disowned",
            "Removed an authenticator app with the link in its notice",
        )
        STAFF_STATUS_CHANGED = "staff_status_changed", "Changed staff status"
        SUPERUSER_STATUS_CHANGED = "superuser_status_changed", "Changed superuser status"
        GROUPS_CHANGED = "groups_changed", "Changed a user's groups"
        PERMISSIONS_CHANGED = "permissions_changed", "Changed permissions"
        # trusted browsers and new-device notices
        BROWSER_TRUSTED = "browser_trusted", "Trusted a browser for 30 days"
        TRUSTED_BROWSER_REVOKED = "trusted_browser_revoked", "Stopped trusting a browser"
        SECOND_STEP_SKIPPED_TRUSTED = (
            "second_step_skipped_trusted",
            "Skipped the second step in a trusted browser",
        )
        NEW_DEVICE_SIGN_IN = "new_device_sign_in", "Signed in from a new browser"
        PASSKEY_ADDED = "passkey_added", "Added a passkey"
        PASSKEY_RENAMED = "passkey_renamed", "Renamed a passkey"
        PASSKEY_REMOVED = "passkey_removed", "Removed a passkey"
        PASSKEY_DISOWNED = "passkey_disowned", "Removed a passkey with the link in its notice"
        PASSKEY_SIGN_IN = "passkey_sign_in", "Signed in with a passkey"
        PASSKEY_REFUSED = "passkey_refused", "A passkey was refused"
        PASSKEY_CLONE_SUSPECTED = "passkey_clone_suspected", "A copied passkey was refused"
        OIDC_APP_REGISTERED = "oidc_app_registered", "Registered an app that signs in with Hygate"
        OIDC_APP_CHANGED = "oidc_app_changed", "Changed an app that signs in with Hygate"
        OIDC_APP_SECRET_RESET = "oidc_app_secret_reset", "Made a new secret for an app"
        OIDC_APP_DELETED = "oidc_app_deleted", "Removed an app that signs in with Hygate"
        OIDC_CONSENT_GIVEN = "oidc_consent_given", "Let an app sign in"
        OIDC_CONSENT_DENIED = "oidc_consent_denied", "Refused an app"
        OIDC_APP_REVOKED = "oidc_app_revoked", "Revoked an app's access"
        OIDC_REFRESH_TOKEN_REUSED = "oidc_refresh_token_reused", "An app's refresh token was reused"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        help_text="Who did it (empty for a visitor not signed in, or the system).",
    )
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events_about",
        help_text="The account it was done to, if any.",
    )
    target = models.CharField(
        max_length=320,
        blank=True,
        help_text="What else it was done to: an organisation, an address.",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target_user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"

    @property
    def browser(self) -> str:
        return useragent.describe(self.user_agent) if self.user_agent else ""
