"""Run many dependency calls in parallel threads that stay part of the invocation.

A thread started by hand does not see the invocation: ``contextvars`` are per thread, so its
errors would not be collected, its log lines would lose the service's logger and its calls would
not know the Lambda's deadline. :func:`fan_out` runs each task in a copy of the caller's context
(``contextvars.copy_context()`` per task), so every task shares the invocation's error
collector, logger and deadline; in a traced invocation, its subsegments hang under the caller's.
"""

from __future__ import annotations

import contextvars
import logging as _stdlib_logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from pypwext.base import ErrorAction
from pypwext.errors import ServiceError, collect_or_raise
from pypwext.observability import tracing
from pypwext.observability._context import current_invocation

__all__ = ["DEFAULT_MAX_WORKERS", "fan_out"]

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_WORKERS = 8
"""Threads at most; an :class:`~pypwext.Http` keeps 10 pooled connections per host by default."""


def fan_out(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    max_workers: int = DEFAULT_MAX_WORKERS,
    on_error: ErrorAction = ErrorAction.RAISE,
) -> list[R | None]:
    """``[fn(item) for item in items]``, run in up to ``max_workers`` threads; results in the
    order of ``items``.

    Each task runs in a copy of the caller's context, so it shares the invocation's error
    collector, logger and deadline: an ``Http`` call in a task stops at the same deadline as
    one in ``execute``, and an error collected in a task shows up in the response.

    Every task runs to its end. Then, with ``on_error=RAISE`` (the default), the first failure
    in input order is raised (the others are logged at WARNING); with ``CONTINUE``, a
    ``ServiceError`` is collected into the invocation's errors and its task's result is the
    error's ``return_value`` (``None`` unless set) -- any other exception is still raised.

    >>> fan_out(lambda n: n * n, [1, 2, 3])
    [1, 4, 9]

    In a service::

        def execute(self, order: Order) -> list[Item]:
            return fan_out(lambda i: self.inventory.get(item_id=i.id), order.items)
    """
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise ValueError(f"fan_out: max_workers must be an int >= 1, got {max_workers!r}")
    action = ErrorAction(on_error)
    work = list(items)
    if not work:
        return []
    task = tracing.carried(fn)
    futures: list[Future[R]] = []
    with ThreadPoolExecutor(
        max_workers=min(max_workers, len(work)), thread_name_prefix="pypwext-fan-out"
    ) as pool:
        for item in work:
            context = contextvars.copy_context()
            futures.append(pool.submit(context.run, task, item))
    # leaving the with block waited for every task
    results: list[R | None] = []
    first: BaseException | None = None
    for index, future in enumerate(futures):
        exc = future.exception()
        if exc is None:
            results.append(future.result())
            continue
        if action is ErrorAction.CONTINUE and isinstance(exc, ServiceError):
            try:
                collect_or_raise(exc, action)
            except ServiceError:
                pass  # nowhere to collect to: raised below like any other failure
            else:
                results.append(exc.return_value)
                continue
        if first is None:
            first = exc
        else:
            _log_other(index, exc)
        results.append(None)
    if first is not None:
        raise first
    return results


def _log_other(index: int, exc: BaseException) -> None:
    invocation = current_invocation()
    fields = {"task": index, "error": f"{type(exc).__name__}: {exc}"}
    if invocation is not None and invocation.logger is not None:
        # the error's message may quote data: redacted by the service's classification
        invocation.logger.warning("fan_out: another task failed too", extra=fields)
    else:
        _stdlib_logging.getLogger("pypwext.fanout").warning("fan_out: another task failed too", extra=fields)
