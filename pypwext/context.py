"""The invocation running now, for code that is not a method of the service.

The service installs an :class:`Invocation` for the time of each call; dependencies, helpers and
threads started with ``contextvars.copy_context()`` find it with :func:`current_invocation`:
the request, the Lambda context and its deadline, the correlation id, the logger and the error
collector of the invocation they serve.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Protocol

import attrs

from pypwext.errors import ErrorCollector
from pypwext.events import Request
from pypwext.logging import ServiceLogger

__all__ = ["Invocation", "current_invocation", "invocation_scope"]


@attrs.frozen
class Invocation:
    """What one invocation shares with the code it runs.

    >>> inv = Invocation(service=object, request=None, context=None, logger=None, collector=ErrorCollector())
    >>> inv.remaining_ms() is None
    True
    """

    service: type
    request: Request | None
    context: Any
    logger: ServiceLogger | None
    collector: ErrorCollector
    correlation_id: str | None = None
    """The id that ties this invocation's logs and downstream calls together (the service's
    ``correlation_id_path``, else the request id, else the Lambda request id)."""
    started: float = attrs.field(factory=time.monotonic)

    def remaining_ms(self) -> float | None:
        """Milliseconds left before Lambda stops the invocation, or ``None`` without a context."""
        get = getattr(self.context, "get_remaining_time_in_millis", None)
        if get is None:
            return None
        return float(get())


class PendingInvocation(Protocol):
    """What a service installs instead of an :class:`Invocation`: something that builds it the
    first time it is asked for (most invocations never ask), and then always returns that one."""

    def invocation(self) -> Invocation: ...


_CURRENT: ContextVar[Invocation | PendingInvocation | None] = ContextVar("pypwext_invocation", default=None)


def current_invocation() -> Invocation | None:
    """The invocation running in this context, or ``None`` outside one."""
    value = _CURRENT.get()
    if value is None or isinstance(value, Invocation):
        return value
    return value.invocation()


# Make an invocation (or a pending one) the current one (returns a token), and undo that: the
# context variable's own methods, because they run on every invocation.
set_invocation = _CURRENT.set
reset_invocation = _CURRENT.reset


@contextlib.contextmanager
def invocation_scope(invocation: Invocation) -> Iterator[Invocation]:
    """Make ``invocation`` current for the ``with`` block."""
    token = set_invocation(invocation)
    try:
        yield invocation
    finally:
        reset_invocation(token)
