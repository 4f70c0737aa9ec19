"""What a service class observes, and what one invocation writes: logs, a trace, metrics.

:class:`Observability` is built once per service class (by the metaclass) from its options --
``service``, ``operation``, ``classification``, ``log_type``, ``correlation_id_path``,
``tracing``, ``metrics_namespace`` -- and holds the class's logger and metrics.
:meth:`Observability.start` begins one invocation: the cold-start flag, the fields every log
entry of the invocation carries, the trace; :meth:`Observed.end` closes the trace and flushes
the metrics, whatever happened.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from pypwext.base import InfoClassification, LogEntryType
from pypwext.codec import dumps, dumps_str
from pypwext.observability._context import fit_correlation_id
from pypwext.observability._metrics import ServiceMetrics
from pypwext.observability.logging import (
    MASK,
    ServiceLogger,
    invocation_fields,
    is_masked,
    new_secrets,
    reset_invocation_fields,
    set_invocation_fields,
    take_cold_start,
)
from pypwext.observability.logging._levels import INFO
from pypwext.observability.logging._masking import reset_secrets, set_secrets
from pypwext.observability.tracing import read_trace_header, start_trace
from pypwext.wire._events import EventSource, Request

__all__ = ["Observability", "Observed"]


class Observability:
    """The logger, metrics, tracing mode and correlation-id rule of one service class."""

    def __init__(
        self,
        service: str,
        operation: str,
        classification: InfoClassification,
        log_type: LogEntryType,
        location: str,
        correlation_id_path: str | None = None,
        tracing: bool | None = None,
        metrics_namespace: str | None = None,
    ) -> None:
        self.service = service
        self.operation = operation
        self.classification = classification
        self.log_type = log_type
        self.logger = ServiceLogger(service, operation, classification, log_type, location)
        self.metrics = ServiceMetrics(service, metrics_namespace)
        self.tracing = tracing
        self.correlation_id_path = correlation_id_path
        self._expression: Any = None

    def start(self, event: Any, context: Any) -> Observed:
        """Begin observing one invocation (before its event is parsed)."""
        return Observed(self, event, context)

    def correlation_id(self, request: Request | None, event: Any, context: Any) -> str | None:
        """The invocation's correlation id: the value at ``correlation_id_path`` in the event when
        the class names one and it is there, else the request id of the HTTP source, else the
        Lambda request id; one that is unfit for a header or a log line is replaced (see
        :func:`pypwext.observability._context.fit_correlation_id`)."""
        if self.correlation_id_path is not None:
            if self._expression is None:
                import jmespath  # type: ignore[import-untyped]

                self._expression = jmespath.compile(self.correlation_id_path)
            try:
                found = self._expression.search(event)
            except Exception:  # an event the expression cannot walk: fall back to the request id
                found = None
            if isinstance(found, (str, int)) and not isinstance(found, bool):
                return fit_correlation_id(str(found), request, context)
        if request is not None and request.request_id:
            return fit_correlation_id(request.request_id, request, context)
        value = getattr(context, "aws_request_id", None)
        return fit_correlation_id(value, request, context) if isinstance(value, str) else None

    def shown_path(self, request: Request, route: str | None = None, from_source: bool = True) -> str:
        """The path for log lines: a PII/AUTHORIZATION_INFO service shows a route template
        (``/customers/{id}``), never the concrete path, which may carry the data
        (``/customers/ada@example.com``): the template the :class:`~pypwext.runtime._routes.Api`
        matched, else the class's ``route`` option, else the one the source sends (REST
        ``resource``, HTTP API ``routeKey``), else a mask. ``from_source=False`` (an Api's own
        answers, to a path no service matched) skips what the source sends."""
        if not is_masked(self.classification) or not request.path:
            return request.path
        routed = _ROUTED.get()
        if routed is not None:
            return routed
        if route is not None and " /" in route:
            return route.split(" ", 1)[1]
        event = request.raw_event if from_source and isinstance(request.raw_event, dict) else {}
        if request.source is EventSource.API_GATEWAY_REST and isinstance(event.get("resource"), str):
            return str(event["resource"])
        key = event.get("routeKey")
        if request.source is EventSource.API_GATEWAY_HTTP and isinstance(key, str) and " /" in key:
            return key.split(" ", 1)[1]
        return MASK.format(classification=self.classification.value)

    def summary_wanted(self) -> bool:
        """Whether the invocation's summary line is written: at INFO, and at any level for an
        AUDIT service, whose summary is its audit entry."""
        return self.log_type is LogEntryType.AUDIT or self.logger.is_enabled(INFO)

    def summary(
        self,
        request: Request,
        status: int,
        codes: list[int],
        started: float,
        route: str | None = None,
        from_source: bool = True,
        *,
        source: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """The one summary line of an invocation (``POST /customers -> 201``; for an event-driven
        kind ``INVOKE -> 200``): ``source`` (the request's, or the kind's name), ``method``,
        ``path`` (see :meth:`shown_path`), ``status``, ``duration_ms``, ``errors`` (the collected
        codes), the kind's ``extra`` fields and, for an AUDIT service, ``outcome`` (``failure``
        from 400). HTTP services, the event-driven kinds and an Api's own answers all write here."""
        if not self.summary_wanted():
            return
        logger = self.logger
        path = self.shown_path(request, route, from_source)
        method = request.method
        shown_source = request.source.value if source is None else source
        duration = int((time.perf_counter() - started) * 1e6) / 1000  # ms, to the microsecond
        message = (
            f"{method} {path} -> {status}"
            if method and path
            else " ".join(p for p in (method, path, "->", str(status)) if p)
        )
        outcome = _outcome(status >= 400) if self.log_type is LogEntryType.AUDIT else None
        labels = (self.operation, self.classification, self.log_type)
        # The fields, encoded here (the dict below, as dumps would write it, field for field),
        # unless Powertools is underneath
        members = (
            f'"source":{dumps_str(shown_source)},"method":{dumps_str(method)},'
            f'"path":{dumps_str(path)},"status":{status},"duration_ms":{duration!r},'
            f'"errors":{dumps(codes) if codes else "[]"}'
        )
        if outcome is not None:
            members += f',"outcome":"{outcome}"'
        if extra:
            members += "," + dumps(dict(extra))[1:-1]
        if logger._write_summary(labels, message, members):
            return
        fields: dict[str, Any] = {
            "source": shown_source,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration,
            "errors": codes,
        }
        if outcome is not None:
            fields["outcome"] = outcome
        if extra:
            fields.update(extra)
        logger.summary(*labels, message, **fields)


def _outcome(failed: bool) -> str:
    return "failure" if failed else "success"


_ROUTED: ContextVar[str | None] = ContextVar("pypwext_routed_template", default=None)

# The route template an Api matched for the invocation it starts (returns a token), and undo that.
set_routed_template = _ROUTED.set
reset_routed_template = _ROUTED.reset


class Observed:
    """One invocation under observation."""

    __slots__ = (
        "_event",
        "_fields_token",
        "_obs",
        "_secrets_token",
        "_trace",
        "cold_start",
        "context",
        "correlation_id",
        "started",
    )

    def __init__(self, obs: Observability, event: Any, context: Any) -> None:
        self.started = time.perf_counter()
        self.cold_start = take_cold_start()
        self.context = context
        self._obs = obs
        self._event = event
        self._fields_token: Any = None
        self._secrets_token: Any = None
        self._trace: Any = None  # pypwext.observability.tracing.start_trace's, with end(status, exc)
        self.correlation_id: str | None = None
        obs.metrics.clear()  # what was added outside an invocation (a test calling execute) is not this one's

    def begin(self, request: Request | None) -> None:
        """The request is known: set the log fields and open the trace."""
        obs = self._obs
        self.correlation_id = obs.correlation_id(request, self._event, self.context)
        trace_header = read_trace_header()  # read once: logs and tracing
        fields = invocation_fields(self.context, self.correlation_id, self.cold_start, trace_header)
        self._fields_token = set_invocation_fields(fields)
        self._secrets_token = set_secrets(new_secrets(request))
        self._trace = start_trace(obs, trace_header, self.cold_start, request, self.context)

    def duration_ms(self) -> float:
        """Milliseconds since the handler's entry."""
        return round((time.perf_counter() - self.started) * 1000, 3)

    def end(self, status: int | None, exc: BaseException | None = None) -> None:
        """Close the trace, flush the metrics and drop the log fields (``status`` is ``None``
        when no response could be built: counted as a 500)."""
        obs = self._obs
        try:
            if self._trace is not None:
                self._trace.end(status, exc)
                self._trace = None
            metrics = obs.metrics
            if metrics.enabled:
                metrics.record_invocation(
                    self.cold_start, status if status is not None else 500, self.duration_ms()
                )
            metrics.flush()
        finally:
            if self._secrets_token is not None:
                reset_secrets(self._secrets_token)
                self._secrets_token = None
            if self._fields_token is not None:
                reset_invocation_fields(self._fields_token)
                self._fields_token = None
