"""The invocation running now, for code that is not a method of the service.

The service installs an :class:`Invocation` for the time of each call; dependencies, helpers and
threads started with ``contextvars.copy_context()`` find it with :func:`current_invocation`:
the request, the Lambda context and its deadline, the correlation id, the logger and the error
collector of the invocation they serve.

A correlation id is taken only when it is fit to travel (:func:`usable_correlation_id`: at most
:data:`MAX_CORRELATION_ID_CHARS` visible ASCII characters, no CR, LF or other control character),
since dependencies send it downstream in a header; an unfit one -- read from a client's header by
``correlation_id_path`` -- is replaced by the request id, so the call goes on instead of failing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from pypwext._lazy import pattern
from pypwext.errors import ErrorCollector, reset_current_collector, set_current_collector
from pypwext.observability.logging import ServiceLogger
from pypwext.wire._events import Request

__all__ = [
    "MAX_CORRELATION_ID_CHARS",
    "Invocation",
    "current_invocation",
    "fit_correlation_id",
    "invocation_scope",
    "usable_correlation_id",
]

MAX_CORRELATION_ID_CHARS = 128
"""The longest correlation id taken; a longer one is replaced (see :func:`usable_correlation_id`)."""

_FIT = pattern(r"[\x20-\x7e]+")  # visible ASCII and the space: no CR, LF, tab, DEL, NUL...


def usable_correlation_id(value: object) -> str | None:
    """``value`` when it can be a correlation id -- a string of 1 to
    :data:`MAX_CORRELATION_ID_CHARS` visible ASCII characters (spaces allowed, not at the ends),
    safe in a header and a log line -- else ``None``.

    >>> usable_correlation_id("corr-1"), usable_correlation_id("c-1\\r\\nX-Injected: 1")
    ('corr-1', None)
    """
    if not isinstance(value, str) or len(value) > MAX_CORRELATION_ID_CHARS or value != value.strip():
        return None
    return value if _FIT().fullmatch(value) else None


def fit_correlation_id(candidate: str | None, request: Request | None, context: Any) -> str | None:
    """The correlation id an invocation uses, for its log lines and its downstream calls alike:
    ``candidate`` when :func:`usable_correlation_id`, else the request id (else the Lambda
    request id, else a fresh one); ``None`` stays ``None``."""
    if candidate is None or usable_correlation_id(candidate) is not None:
        return candidate
    return _fallback_correlation_id(request, context)


def _fallback_correlation_id(request: Request | None, context: Any) -> str:
    """What replaces an unfit correlation id: the request id, else the Lambda request id, else a
    fresh one (each only when it is fit itself)."""
    for candidate in (
        request.request_id if request is not None else None,
        getattr(context, "aws_request_id", None),
    ):
        usable = usable_correlation_id(candidate)
        if usable is not None:
            return usable
    import uuid  # (2-3 ms to import, with platform: only when no id is fit)

    return str(uuid.uuid4())


class Invocation:
    """What one invocation shares with the code it runs: the service class, the request, the
    Lambda context and its deadline, the logger, the error collector and the correlation id
    (read-only). A running service installs its own invocation (one object per call, which is
    also the service's scaffolding of the call); a test or a tool may build one and make it
    current with :func:`invocation_scope`.

    >>> inv = Invocation(service=object, request=None, context=None, logger=None, collector=ErrorCollector())
    >>> inv.remaining_ms() is None
    True
    """

    __slots__ = ("_collector", "_context", "_correlation_id", "_logger", "_request", "_service", "_started")

    _service: type
    _request: Request | None
    _context: Any
    _logger: ServiceLogger | None
    _collector: ErrorCollector
    _correlation_id: str | None
    _started: float

    def __init__(
        self,
        service: type,
        request: Request | None,
        context: Any,
        logger: ServiceLogger | None,
        collector: ErrorCollector,
        correlation_id: str | None = None,
        started: float | None = None,
    ) -> None:
        self._service = service
        self._request = request
        self._context = context
        self._logger = logger
        self._collector = collector
        self._correlation_id = fit_correlation_id(correlation_id, request, context)
        self._started = time.monotonic() if started is None else started

    @property
    def service(self) -> type:
        """The service class."""
        return self._service

    @property
    def request(self) -> Request | None:
        """The request of the invocation."""
        return self._request

    @property
    def context(self) -> Any:
        """The Lambda context, or ``None``."""
        return self._context

    @property
    def logger(self) -> ServiceLogger | None:
        """The service's logger."""
        return self._logger

    @property
    def collector(self) -> ErrorCollector:
        """The invocation's error collector."""
        return self._collector

    @property
    def correlation_id(self) -> str | None:
        """The id that ties this invocation's logs and downstream calls together (the service's
        ``correlation_id_path``, else the request id, else the Lambda request id); one that is not
        :func:`usable_correlation_id` is replaced by the request id (else a fresh id)."""
        return self._correlation_id

    @property
    def started(self) -> float:
        """When the invocation started (``time.monotonic()``)."""
        return self._started

    def remaining_ms(self) -> float | None:
        """Milliseconds left before Lambda stops the invocation, or ``None`` without a context."""
        get = getattr(self.context, "get_remaining_time_in_millis", None)
        if get is None:
            return None
        return float(get())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(service={self.service.__qualname__}, "
            f"correlation_id={self.correlation_id!r})"
        )


_CURRENT: ContextVar[Invocation | None] = ContextVar("pypwext_invocation", default=None)


def current_invocation() -> Invocation | None:
    """The invocation running in this context, or ``None`` outside one."""
    return _CURRENT.get()


# Make an invocation the current one (returns a token), and undo that: the
# context variable's own methods, because they run on every invocation.
set_invocation = _CURRENT.set
reset_invocation = _CURRENT.reset


@contextlib.contextmanager
def invocation_scope(invocation: Invocation) -> Iterator[Invocation]:
    """Make ``invocation`` current for the ``with`` block, its collector the current collector."""
    collector_token = set_current_collector(invocation.collector)
    token = set_invocation(invocation)
    try:
        yield invocation
    finally:
        reset_invocation(token)
        reset_current_collector(collector_token)
