"""One invocation of any kind of service, and the lifecycle of one item in it: the one pipeline
that HTTP services and the event-driven kinds (batch, EventBridge, S3) share.

:class:`Running` is the scaffolding of one invocation: a fresh error collector, the service's
logger as the current one, observation (log fields, correlation id, trace, metrics), and the
invocation that helpers, dependencies and threads started with ``contextvars.copy_context()``
see (:func:`~pypwext.observability.current_invocation`). :func:`run_invocation` runs the body of
an event-driven kind in it and writes its summary line. :func:`run_lifecycle` takes one item (a
request, a record, an event, a row) through ``structure``, ``validate``, the kind's main method
(under the class's ``idempotency``) and ``on_error``; :func:`recover` is its failure half, and
the one place that decides when a failure is written: exactly once per failed item, in the words
of the kind's :class:`Failures`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from pypwext.errors import (
    ErrorCollector,
    InternalError,
    ServiceError,
    drop_tracebacks,
    reset_current_collector,
    set_current_collector,
)
from pypwext.observability._context import Invocation, reset_invocation, set_invocation
from pypwext.observability._summary import Observed
from pypwext.observability.logging import ServiceLogger, reset_current_logger, set_current_logger
from pypwext.wire._events import Request
from pypwext.wire._responses import Response

if TYPE_CHECKING:
    from pypwext.runtime._service import BaseService

__all__ = ["Failures", "Running", "failure_code", "given", "recover", "run_invocation", "run_lifecycle"]

_NO_FIELDS: Mapping[str, Any] = {}


class Failures:
    """How a kind of service writes a failed item (the pipeline decides when):

    ``failed(svc, error, unexpected, message, fields)``
        the item failed with ``error`` (what ``on_error`` raised; ``unexpected`` is the exception
        that was not a ``ServiceError``, if the failure began with one);
    ``handled(svc, unexpected, message, fields)``
        ``on_error`` returned a result for an unexpected exception;

    ``catch`` is what the lifecycle catches: ``Exception`` (an HTTP service: anything else
    escapes the invocation) or ``BaseException`` (an item of a batch fails, the batch goes on;
    ``KeyboardInterrupt`` then skips ``on_error``: written and re-raised).
    """

    __slots__ = ("catch", "failed", "handled")

    def __init__(
        self,
        failed: Callable[[Any, BaseException, BaseException | None, str, Mapping[str, Any]], None],
        handled: Callable[[Any, BaseException, str, Mapping[str, Any]], None],
        catch: type[BaseException] = BaseException,
    ) -> None:
        self.failed = failed
        self.handled = handled
        self.catch = catch


def run_lifecycle(
    svc: BaseService,
    main: Callable[[Any], Any],
    raw: Any,
    load: Callable[[Any], Any] | None,
    structure: Callable[[Any], Any],
    document: Callable[[Any], dict[str, Any]],
    failures: Failures,
    message: str,
    fields: Mapping[str, Any] = _NO_FIELDS,
) -> Any:
    """One item through the lifecycle: its payload (``load(raw)``, or ``raw``), ``structure``d
    into the input type, ``validate``, then ``main`` -- under the class's ``idempotency``, keyed
    on ``document(payload)`` -- and, when one of them raised, :func:`recover`.

    Returns ``main``'s result (or what ``on_error`` returned); raises what ``on_error`` raised,
    written once (``message``, with ``fields`` naming the item).
    """
    cls = type(svc)
    try:
        payload = raw if load is None else load(raw)
        validated = svc.validate(structure(payload))
        idem = cls.idempotency
        if idem is None:
            return main(validated)
        return idem.run(cls, document(payload), lambda: main(validated), svc.context, data=validated)
    except KeyboardInterrupt as exc:  # never through on_error
        if failures.catch is BaseException:
            failures.failed(svc, exc, exc, message, fields)
        raise
    except failures.catch as exc:
        try:
            result = recover(svc, exc, failures, message, fields)
        except BaseException as raised:  # (it chains exc as its context, so both are dropped)
            drop_tracebacks(raised)
            raise
        drop_tracebacks(exc)
        return result


def recover(
    svc: BaseService,
    exc: BaseException,
    failures: Failures,
    message: str,
    fields: Mapping[str, Any] = _NO_FIELDS,
) -> Any:
    """``on_error`` for ``exc`` (an unexpected exception wrapped in an
    :class:`~pypwext.InternalError` first, the original as its ``__cause__``): returns what
    ``on_error`` returned, or raises what it raised -- the original exception when it re-raised
    the wrapper untouched -- after the kind wrote the failure (see :class:`Failures`)."""
    unexpected = None if isinstance(exc, ServiceError) else exc
    if unexpected is None:
        error = cast(ServiceError, exc)
    else:
        error = InternalError()
        error.__cause__ = unexpected
    try:
        result = svc.on_error(error)
    except BaseException as raised:
        shown = unexpected if raised is error and unexpected is not None else raised
        failures.failed(svc, shown, unexpected, message, fields)
        if shown is not unexpected:
            raise
        drop_tracebacks(raised)  # the wrapper is dropped (its traceback holds frames that hold it)
    else:
        if unexpected is not None:
            failures.handled(svc, unexpected, message, fields)
        return result
    # The original exception, raised outside the except block: raised inside it, it would chain
    # the wrapper as its context, and the wrapper holds it as its cause (a reference cycle).
    raise unexpected from None


def failure_code(exc: BaseException) -> int:
    """The status a failure counts as in the summary: a :class:`~pypwext.ServiceError`'s code,
    500 for anything else."""
    return int(exc.code) if isinstance(exc, ServiceError) else 500


def run_invocation(
    svc: BaseService,
    event: Any,
    context: Any,
    parse: Callable[[Any, Any], tuple[Request, Response | None]],
    body: Callable[[Request], tuple[Any, dict[str, Any], int]],
) -> Any:
    """Run ``body(request)`` as one invocation of ``svc`` (an event-driven kind) in
    :class:`Running`, and its summary line at the end, by the writer an HTTP service's uses
    (for an AUDIT service, the audit entry at any level, with its ``outcome``).

    ``body`` returns ``(answer, summary fields, status)``: the status is 200, or the highest
    code of the items that failed (so an AUDIT entry says ``failure``). An exception it raises
    is re-raised after the summary line (``failed: true``, its code as the status) was written.
    """
    fields: dict[str, Any] = {}
    status = 200
    with Running(svc, event, context, parse) as run:
        try:
            answer, fields, status = body(run.request)
        except BaseException as exc:
            fields = {**fields, "failed": True}
            status = failure_code(exc)
            raise
        finally:
            spec = type(svc)._pypwext_spec
            spec.obs.summary(
                run.request,
                status,
                [e.code for e in run.collector.errors],
                run.observed.started,
                type(svc).route,
                source=spec.kind.source or "event",
                extra=fields,
            )
        run.status = 200
        return answer


class Running(Invocation):
    """One invocation of any kind of service: its scaffolding -- a fresh error collector, the
    service's logger as the current one, observation (cold start, log fields, correlation id,
    trace, metrics -- flushed at the end, error or not) -- and the
    :class:`~pypwext.observability._context.Invocation` itself that helpers, dependencies and
    threads started with ``contextvars.copy_context()`` see (one object per call). ``parse(event,
    context)`` reads the event into a request, and an early answer for an event that cannot be
    read.

    ``with Running(svc, event, context, parse) as run:`` gives the running invocation itself:
    ``run.request``, ``run.early``, ``run.observed``, ``run.collector``, and ``run.status``,
    which the caller sets to the status it ends with (``None`` counts as a failure in metrics and
    traces). A class rather than a generator: it runs on every invocation.
    """

    __slots__ = ("_event", "_parse", "_svc", "_tokens", "early", "observed", "status")

    _request: Request
    early: Response | None
    observed: Observed

    def __init__(  # (not Invocation's: what it holds is read from the service and the run)
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
        self._tokens: tuple[Any, Any, Any] = (None, None, None)
        self.status: int | None = None

    @property
    def request(self) -> Request:
        """The request of the invocation."""
        return self._request

    @property
    def service(self) -> type:
        """The service class."""
        return type(self._svc)

    @property
    def logger(self) -> ServiceLogger:
        """The service's logger."""
        return type(self._svc)._pypwext_spec.logger

    @property
    def correlation_id(self) -> str | None:
        """The invocation's correlation id (see :class:`~pypwext.observability._context.Invocation`)."""
        return self.observed.correlation_id

    @property
    def started(self) -> float:
        """When the invocation started (``time.monotonic()``), worked out on first use."""
        try:
            return self._started
        except AttributeError:
            self._started = time.monotonic() - (time.perf_counter() - self.observed.started)
            return self._started

    def __enter__(self) -> Running:
        svc = self._svc
        spec = type(svc)._pypwext_spec
        context = self._context
        collector = self._collector = svc._errors = ErrorCollector()
        logger_token = set_current_logger(spec.logger)
        observed = self.observed = spec.obs.start(self._event, context)
        collector_token = set_current_collector(collector)
        self._tokens = (logger_token, collector_token, None)
        try:
            request, early = self._parse(self._event, context)
            self._request = request
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


def given(request: Request) -> Callable[[Any, Any], tuple[Request, Response | None]]:
    """A ``parse`` for :class:`Running` (and ``BaseService._invoke``) that answers with a
    request read before."""
    return lambda _event, _context: (request, None)
