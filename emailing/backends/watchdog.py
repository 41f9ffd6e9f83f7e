"""A wall-clock deadline on one attempt to hand mail to a provider, on any transport.

A socket timeout bounds each read, not the conversation: a server that answers one line
(or one byte) a second never lets a read time out, and `smtplib` reads any number of
`220-` continuation lines. So each attempt runs under a `Watchdog`: a timer that, when the
attempt's time is up, shuts down the sockets the transport registered with `watch()`. The
blocked read then returns at once, and the transport reports the attempt as failed.
"""

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar

SocketGetter = Callable[[], socket.socket | None]

_current: ContextVar["Watchdog | None"] = ContextVar("email_watchdog", default=None)


class Watchdog:
    """Shut down the watched sockets once `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._sockets: list[SocketGetter] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, get_socket: SocketGetter) -> None:
        """Cut this socket (read through `get_socket` when the time is up) at the deadline."""
        with self._lock:
            self._sockets.append(get_socket)
            fired = self.fired
        if fired:  # registered after the deadline: cut it now
            _shut_down(get_socket())

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            getters = list(self._sockets)
        for get_socket in getters:
            _shut_down(get_socket())


def _shut_down(sock: socket.socket | None) -> None:
    if sock is None:
        return
    # The plain socket's shutdown, also for a TLS socket: it wakes a read blocked in
    # another thread without touching the TLS object that read is using. A socket already
    # closed, or never connected, raises OSError: nothing left to cut.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Watchdog]:
    """Run the block under a watchdog that cuts its connections after `seconds`."""
    dog = Watchdog(seconds)
    token = _current.set(dog)
    dog._timer.start()
    try:
        yield dog
    finally:
        dog._timer.cancel()
        _current.reset(token)


def watch(get_socket: SocketGetter) -> None:
    """Put a connection under the deadline of the attempt in progress, if there is one."""
    dog = _current.get()
    if dog is not None:
        dog.watch(get_socket)


def passed() -> bool:
    """Say whether the attempt in progress has passed its deadline."""
    dog = _current.get()
    return dog is not None and dog.fired
