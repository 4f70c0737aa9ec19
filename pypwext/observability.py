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
from typing import Any

from pypwext.base import InfoClassification, LogEntryType
from pypwext.events import EventSource, Request
from pypwext.logging import (
    MASK,
    ServiceLogger,
    invocation_fields,
    is_masked,
    reset_invocation_fields,
    set_invocation_fields,
    take_cold_start,
)
from pypwext.metrics import ServiceMetrics
from pypwext.tracing import read_trace_header, start_trace

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
        Lambda request id."""
        if self.correlation_id_path is not None:
            if self._expression is None:
                import jmespath  # type: ignore[import-untyped]

                self._expression = jmespath.compile(self.correlation_id_path)
            try:
                found = self._expression.search(event)
            except Exception:  # an event the expression cannot walk: fall back to the request id
                found = None
            if isinstance(found, (str, int)) and not isinstance(found, bool):
                return str(found)
        if request is not None and request.request_id:
            return request.request_id
        value = getattr(context, "aws_request_id", None)
        return value if isinstance(value, str) else None

    def shown_path(self, request: Request) -> str:
        """The path for the summary line: a PII/AUTHORIZATION_INFO service shows its route
        template (``/customers/{id}``) when the source sends one, else a mask, because a path
        may carry the data (``/customers/ada@example.com``)."""
        if not is_masked(self.classification) or not request.path:
            return request.path
        event = request.raw_event if isinstance(request.raw_event, dict) else {}
        if request.source is EventSource.API_GATEWAY_REST and isinstance(event.get("resource"), str):
            return str(event["resource"])
        route = event.get("routeKey")
        if request.source is EventSource.API_GATEWAY_HTTP and isinstance(route, str) and " " in route:
            return route.split(" ", 1)[1]
        return MASK.format(classification=self.classification.value)


class Observed:
    """One invocation under observation."""

    __slots__ = (
        "_event",
        "_fields_token",
        "_obs",
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
        self._trace: Any = None  # pypwext.tracing.start_trace's, with end(status, exc)
        self.correlation_id: str | None = None
        obs.metrics.clear()  # what was added outside an invocation (a test calling execute) is not this one's

    def begin(self, request: Request | None) -> None:
        """The request is known: set the log fields and open the trace."""
        obs = self._obs
        self.correlation_id = obs.correlation_id(request, self._event, self.context)
        trace_header = read_trace_header()  # read once: logs and tracing
        fields = invocation_fields(self.context, self.correlation_id, self.cold_start, trace_header)
        self._fields_token = set_invocation_fields(fields)
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
            if self._fields_token is not None:
                reset_invocation_fields(self._fields_token)
                self._fields_token = None
