"""The process's tracer provider and how its spans leave the function.

A frozen Lambda container runs no background thread, so neither the SDK's
``BatchSpanProcessor`` (spans wait in a queue) nor one request per span
(``SimpleSpanProcessor``) fits: :class:`InvocationSpanProcessor` keeps the spans that end during
an invocation and :func:`flush` sends them in one OTLP request before the invocation returns,
within ``min(OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT, remaining time - EXPORT_MARGIN_S)``. An
endpoint that is down, hangs or answers an error costs that bounded delay and one WARNING;
the spans are dropped, never the invocation, and exports pause for ``EXPORT_PAUSE_S``.

When the endpoint is X-Ray's OTLP endpoint (``https://xray.<region>.amazonaws.com/v1/traces``),
or ``PYPWEXT_OTEL_SIGV4=xray`` is set, each request is signed with SigV4 (service ``xray``)
by botocore's signer with the function's credentials. The requests go through
:class:`pypwext.observability._otel.transport.Transport` (the standard library's ``http.client``).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

from pypwext._lazy import pattern
from pypwext.observability._otel.transport import SigV4Signer, Transport

__all__ = [
    "EXPORT_MARGIN_S",
    "EXPORT_PAUSE_S",
    "MAX_SPANS",
    "InvocationSpanProcessor",
    "flush",
    "provider",
    "reset",
    "tracer",
]

EXPORT_MARGIN_S = 0.5
"""Seconds of the invocation's remaining time the export leaves unused, so the answer is still
returned before the Lambda deadline."""

DEFAULT_TIMEOUT_S = 10.0
"""The export timeout when ``OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`` is unset (OpenTelemetry's)."""

MIN_EXPORT_S = 0.05
"""Below this many seconds left, the spans are not sent at all (one WARNING)."""

EXPORT_PAUSE_S = 30.0
"""After a failed export, the spans of the invocations of the next this many seconds are dropped
without trying (and counted): a down or hanging endpoint costs one invocation its delay, not
every one."""

MAX_SPANS = 2048
"""Spans kept for one export at most; more in one invocation are dropped (and counted)."""

_XRAY_HOST = pattern(r"^xray\.([a-z0-9-]+)\.amazonaws\.com$")
_OTEL_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.common.http",
)
_lock = threading.Lock()
_state: dict[str, Any] = {}


class InvocationSpanProcessor(SpanProcessor):
    """Keeps the sampled spans that end, until :meth:`take` hands them to one export."""

    def __init__(self) -> None:
        self._spans: list[ReadableSpan] = []
        self._dropped = 0
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            if len(self._spans) < MAX_SPANS:
                self._spans.append(span)
            else:
                self._dropped += 1

    def take(self) -> tuple[list[ReadableSpan], int]:
        """The spans kept so far and how many were dropped; both start again from none."""
        with self._lock:
            spans, self._spans = self._spans, []
            dropped, self._dropped = self._dropped, 0
        return spans, dropped

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _endpoint() -> str:
    traces = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if traces:
        return traces
    base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or "http://localhost:4318"
    return base.rstrip("/") + "/v1/traces"


def _sigv4_region(endpoint: str) -> str | None:
    """The region to sign for when the traces go to X-Ray, else ``None``."""
    mode = os.environ.get("PYPWEXT_OTEL_SIGV4", "").strip().lower()
    if mode in ("off", "false", "0", "none"):
        return None
    host = urlsplit(endpoint).hostname or ""
    found = _XRAY_HOST().match(host)
    if found is not None:
        return found.group(1)
    if mode == "xray":
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return None


def _resource(service: str) -> Resource:
    """The process's resource: the function (``faas.*``, ``cloud.*``) and ``service.name`` (the
    first traced service's, unless ``OTEL_SERVICE_NAME``/``OTEL_RESOURCE_ATTRIBUTES`` say)."""
    defaults: dict[str, Any] = {
        "service.name": service,
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
    }
    region = os.environ.get("AWS_REGION")
    if region:
        defaults["cloud.region"] = region
    for key, name in (
        ("faas.name", "AWS_LAMBDA_FUNCTION_NAME"),
        ("faas.version", "AWS_LAMBDA_FUNCTION_VERSION"),
        ("faas.instance", "AWS_LAMBDA_LOG_STREAM_NAME"),
    ):
        value = os.environ.get(name)
        if value:
            defaults[key] = value
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    if memory.isdigit():
        defaults["faas.max_memory"] = int(memory) * 1024 * 1024
    from_env = dict(OTELResourceDetector().detect().attributes)
    return Resource.create({**defaults, **from_env})


def provider(service: str) -> tuple[TracerProvider, InvocationSpanProcessor]:
    """The process's tracer provider (built by the first traced invocation) and its processor.

    It becomes OpenTelemetry's global provider when none is set, so spans the service's own
    code opens with ``opentelemetry.trace.get_tracer(...)`` join the invocation's trace."""
    with _lock:
        built = _state.get("provider")
        if built is not None:
            return built  # type: ignore[no-any-return]
        import logging

        for name in _OTEL_LOGGERS:  # pypwext says once what failed, as a WARNING of the service
            quiet = logging.getLogger(name)
            quiet.propagate = False
            quiet.addHandler(logging.NullHandler())
        endpoint = _endpoint()
        region = _sigv4_region(endpoint)
        transport = Transport(SigV4Signer("xray", region) if region is not None else None)
        exporter = OTLPSpanExporter(endpoint=endpoint, _transport=transport)
        processor = InvocationSpanProcessor()
        tracer_provider = TracerProvider(resource=_resource(service))  # the sampler: OTEL_TRACES_SAMPLER
        tracer_provider.add_span_processor(processor)
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            trace.set_tracer_provider(tracer_provider)
        _state.update(
            provider=(tracer_provider, processor), exporter=exporter, transport=transport, endpoint=endpoint
        )
        from pypwext._version import __version__

        _state["tracer"] = tracer_provider.get_tracer("pypwext", __version__)
        return tracer_provider, processor


def tracer(service: str) -> trace.Tracer:
    """The tracer pypwext opens its spans with."""
    provider(service)
    return _state["tracer"]  # type: ignore[no-any-return]


def flush(context: Any, logger: Any) -> None:
    """Export the spans that ended so far in one request, bounded by the export timeout and
    the invocation's remaining time; a failure is one WARNING on ``logger``."""
    processor: InvocationSpanProcessor = _state["provider"][1]
    spans, dropped = processor.take()
    if not spans:
        return
    from pypwext.observability._otel import _warn

    exporter: OTLPSpanExporter = _state["exporter"]
    transport: Transport = _state["transport"]
    budget = export_timeout_s()
    get_remaining = getattr(context, "get_remaining_time_in_millis", None)
    if get_remaining is not None:
        budget = min(budget, float(get_remaining()) / 1000.0 - EXPORT_MARGIN_S)
    fields: dict[str, Any] = {"spans": len(spans), "endpoint": _shown(_state["endpoint"])}
    if dropped:
        fields["dropped"] = dropped
    now = time.monotonic()
    if now < _state.get("paused_until", 0.0):
        _state["dropped_paused"] = _state.get("dropped_paused", 0) + len(spans) + dropped
        return
    if budget < MIN_EXPORT_S:
        _warn(logger, "traces not exported: no time left before the Lambda deadline", **fields)
        return
    client = getattr(exporter, "_client", None)
    if client is not None and hasattr(client, "_timeout"):
        client._timeout = budget  # the exporter's own retry deadline, so no backoff outlasts it
    transport.deadline = time.monotonic() + budget
    transport.failure = None
    started = time.monotonic()
    try:
        result = exporter.export(spans)
    except Exception as exc:  # an exporter bug must not cost the invocation
        result = SpanExportResult.FAILURE
        transport.failure = transport.failure or type(exc).__name__
    finally:
        transport.deadline = None
    paused = _state.pop("dropped_paused", None)
    if result is SpanExportResult.SUCCESS:
        if paused is not None:
            from pypwext.base import InfoClassification

            logger.info(
                "traces exported again", classification=InfoClassification.NA, dropped_while_paused=paused
            )
        return
    fields["reason"] = transport.failure or "the export failed"
    fields["duration_ms"] = round((time.monotonic() - started) * 1000, 3)
    fields["paused_s"] = EXPORT_PAUSE_S
    if paused:
        fields["dropped_while_paused"] = paused
    _state["paused_until"] = time.monotonic() + EXPORT_PAUSE_S
    _warn(logger, "traces not exported", **fields)


def export_timeout_s() -> float:
    """``OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`` (else ``OTEL_EXPORTER_OTLP_TIMEOUT``) in seconds, as
    OpenTelemetry's Python exporter reads it; 10 when unset or not a positive number."""
    raw = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") or os.environ.get("OTEL_EXPORTER_OTLP_TIMEOUT")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if 0 < value < float("inf") else DEFAULT_TIMEOUT_S


def _shown(endpoint: str) -> str:
    """The endpoint for a log line: scheme, host and path (no credentials, no query)."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


def reset() -> None:
    """Forget the provider (the next traced invocation builds one from the environment; a
    provider made OpenTelemetry's global one stays so: it is set once per process)."""
    with _lock:
        built = _state.get("provider")
        if built is not None:
            built[0].shutdown()
        transport = _state.get("transport")
        if transport is not None:
            transport.close()  # its kept-alive connection, not left for the garbage collector
        _state.clear()
