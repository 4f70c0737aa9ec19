"""One invocation of any kind of service, and the lifecycle of one item in it.

:class:`Running` is the scaffolding of one invocation: a fresh error collector, the service's
logger as the current one, observation (log fields, correlation id, trace, metrics), and the
invocation that helpers, dependencies and threads started with ``contextvars.copy_context()``
see (:func:`~pypwext.observability.current_invocation`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pypwext.errors import ErrorCollector, reset_current_collector, set_current_collector
from pypwext.observability._context import Invocation, reset_invocation, set_invocation
from pypwext.observability._summary import Observed
from pypwext.observability.logging import reset_current_logger, set_current_logger
from pypwext.wire._events import Request
from pypwext.wire._responses import Response

if TYPE_CHECKING:
    from pypwext.runtime._service import BaseService

__all__ = ["Running", "given"]


class Running:
    """The scaffolding of one invocation, for every kind of service: a fresh error collector,
    the service's logger as the current one, observation (cold start, log fields, correlation
    id, trace, metrics -- flushed at the end, error or not), and the
    :class:`~pypwext.observability._context.Invocation` that helpers, dependencies and threads started with
    ``contextvars.copy_context()`` see (built the first time one asks for it). ``parse(event,
    context)`` reads the event into a request, and an early answer for an event that cannot be
    read.

    ``with Running(svc, event, context, parse) as run:`` gives the running invocation itself:
    ``run.request``, ``run.early``, ``run.observed``, and ``run.status``, which the caller sets
    to the status it ends with (``None`` counts as a failure in metrics and traces). A class
    rather than a generator: it runs on every invocation.
    """

    __slots__ = (
        "_context",
        "_event",
        "_invocation",
        "_parse",
        "_svc",
        "_tokens",
        "collector",
        "early",
        "observed",
        "request",
        "status",
    )

    request: Request
    early: Response | None
    observed: Observed
    collector: ErrorCollector

    def __init__(
        self,
        svc: BaseService,
        event: Any,
        context: Any,
        parse: Callable[[Any, Any], tuple[Request, Response | None]],
    ) -> None:
        self._svc = svc
        self._event = event
        self._context = context
        self._parse = parse
        self._invocation: Invocation | None = None
        self._tokens: tuple[Any, Any, Any] = (None, None, None)
        self.status: int | None = None

    def __enter__(self) -> Running:
        svc = self._svc
        cls = type(svc)
        context = self._context
        collector = self.collector = svc._errors = ErrorCollector()
        logger_token = set_current_logger(cls._pypwext_spec.logger)
        observed = self.observed = cls._pypwext_spec.obs.start(self._event, context)
        collector_token = set_current_collector(collector)
        self._tokens = (logger_token, collector_token, None)
        try:
            request, early = self._parse(self._event, context)
            self.request = request
            self.early = early
            svc._request = request
            observed.begin(request)
            self._tokens = (logger_token, collector_token, set_invocation(self))
        except BaseException as exc:
            self._close(exc)
            raise
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._close(exc)

    def invocation(self) -> Invocation:
        """The :class:`~pypwext.observability._context.Invocation` of this run (what ``current_invocation()``
        returns), built on first use."""
        built = self._invocation
        if built is None:
            with _BUILDING:
                built = self._invocation
                if built is None:
                    cls = type(self._svc)
                    since = time.perf_counter() - self.observed.started
                    built = self._invocation = Invocation(
                        cls,
                        self.request,
                        self._context,
                        cls._pypwext_spec.logger,
                        self.collector,
                        self.observed.correlation_id,
                        started=time.monotonic() - since,
                    )
        return built

    def _close(self, escaped: BaseException | None) -> None:
        logger_token, collector_token, invocation_token = self._tokens
        try:
            if invocation_token is not None:
                reset_invocation(invocation_token)
            reset_current_collector(collector_token)
            self.observed.end(self.status if escaped is None else None, escaped)
        finally:
            self._svc._request = None
            reset_current_logger(logger_token)


_BUILDING = threading.Lock()  # one Invocation per run, whichever thread asks first


def given(request: Request) -> Callable[[Any, Any], tuple[Request, Response | None]]:
    """A ``parse`` for :class:`Running` (and ``BaseService._invoke``) that answers with a
    request read before."""
    return lambda _event, _context: (request, None)
