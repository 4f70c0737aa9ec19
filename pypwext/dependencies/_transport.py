"""The transport under :class:`~pypwext.dependencies.http.Http`: one wall-clock deadline per call.

``requests``' ``timeout`` bounds each socket read, not the answer: a server that trickles its
status line and headers one byte at a time never trips it. The adapter here mounts urllib3
connections whose every socket read (status line, headers, body) and every send first checks
the deadline of the attempt and shortens the socket's timeout to what is left, so that the
attempt ends at its deadline however the server dribbles. No thread, no watchdog: the deadline
is carried by a context variable that :func:`deadline` sets around the request.

Imported only when the first ``Http`` client is built (it imports ``requests`` and ``urllib3``).
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import io
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["DeadlineAdapter", "Session", "deadline"]

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "pypwext_http_deadline", default=None
)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Requests sent through a :class:`DeadlineAdapter` in this block end by ``at``
    (``time.monotonic()``): a read or send past it raises ``TimeoutError``."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _shorten(sock: Any, at: float) -> None:
    """Cap the socket's timeout by the time left before ``at``; ``TimeoutError`` when none is."""
    left = at - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline of the call passed")
    current = sock.gettimeout()
    if current is None or current > left:
        sock.settimeout(left)


class _DeadlineReader(io.RawIOBase):
    """The raw stream an answer is parsed from: each ``recv`` is bounded by the deadline."""

    def __init__(self, sock: Any, at: float) -> None:
        super().__init__()
        self._sock = sock
        self._at = at

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        _shorten(self._sock, self._at)
        return int(self._sock.recv_into(buffer))


class _DeadlineResponse(http.client.HTTPResponse):
    """``http.client``'s response reading from a :class:`_DeadlineReader` when a deadline is set."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        at = _DEADLINE.get()
        if at is not None:
            self.fp.close()
            self.fp = io.BufferedReader(_DeadlineReader(sock, at))


class _SendMixin:
    sock: Any

    def send(self, data: Any) -> None:
        at = _DEADLINE.get()
        if at is not None and self.sock is not None:
            _shorten(self.sock, at)
        super().send(data)  # type: ignore[misc]


class _Connection(_SendMixin, HTTPConnection):
    response_class = _DeadlineResponse


class _TLSConnection(_SendMixin, HTTPSConnection):
    response_class = _DeadlineResponse


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections obey :func:`deadline` (plain and TLS; a proxy
    mounted by the user keeps ``requests``' own per-read timeouts)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


class Session(requests.Session):
    """A ``requests.Session`` that never follows a redirect itself (not even to look at the
    next one, which reads and closes the answer): the client decides, same origin only."""

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None
