"""The send deadline's watchdog cuts only the attempt it guards, never a later send."""

import socket

from emailing.backends import watchdog


def test_a_watchdog_whose_timer_fires_as_its_attempt_ends_leaves_the_connection_alone():
    # The pooled connection the attempt used goes back to the pool and carries the next
    # send. A timer already running when the attempt ended (cancel() cannot stop it) must
    # not shut that connection down under the later, unrelated send.
    pooled, server = socket.socketpair()
    try:
        with watchdog.deadline(60) as dog:
            watchdog.watch(lambda: pooled)
        dog._fire()  # the timer thread, already started when the attempt ended

        pooled.sendall(b"next mail")
        assert server.recv(9) == b"next mail"
        assert not dog.fired
    finally:
        pooled.close()
        server.close()


def test_a_watchdog_still_cuts_its_own_attempt_at_the_deadline():
    pooled, server = socket.socketpair()
    try:
        with watchdog.deadline(60) as dog:
            watchdog.watch(lambda: pooled)
            dog._fire()  # the deadline passes mid-attempt
            assert watchdog.passed()
            assert pooled.recv(1) == b""  # a blocked read returns at once
    finally:
        pooled.close()
        server.close()
