"""Signals core sends, for the apps above it to receive (core imports no app)."""

from django.dispatch import Signal

# Sent by core.ratelimit when a request is over a limit. Arguments: request, action (the
# rule's name, e.g. "login_failed"), wait (seconds until it would be allowed), counter (the
# cache key of the counter that refused it: the rule, its window and the hashed subject).
rate_limited = Signal()

# Sent by accounts when a user's sessions are ended on purpose (a password reset, "end all
# sessions", an operator's word): what else stands for a signed-in session (the refresh
# tokens of apps that sign in through Hygate) ends too. Arguments: user, reason.
sessions_ended = Signal()
