"""Signals accounts sends, for the apps above it to receive (accounts imports none of them)."""

from django.dispatch import Signal

# Sent when every session of a user, or every other one, is ended at once: "end all other
# sessions", a password change or reset, an operator's or a disowning link's sign-out.
# Arguments: request (or None), user, reason (as recorded in the audit log). twofactor
# stops trusting the user's browsers then (twofactor.trust).
sessions_ended = Signal()
