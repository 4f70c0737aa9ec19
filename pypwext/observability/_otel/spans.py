"""The spans of one traced invocation (the OpenTelemetry backend of :mod:`pypwext.observability.tracing`).

* One span per invocation, named after the operation: kind SERVER for the HTTP sources and
  direct invokes, CONSUMER for batches and events (SQS, SNS, Kinesis, DynamoDB streams, S3,
  EventBridge), with ``faas.*``, ``cloud.region``, ``aws.lambda.invoked_arn``, ``http.*`` /
  ``url.path`` (masked like the summary line) or ``messaging.*``.
* A child span per lifecycle method and ``@step`` (INTERNAL), and per dependency call
  (CLIENT: ``http.request.method``, ``url.full`` with the query masked, ``server.address``,
  ``http.response.status_code``; ``rpc.*``/``faas.invoked_*`` for a Lambda invoke).
* The parent: ``_X_AMZN_TRACE_ID`` when Lambda sampled it (``Sampled=1``: the spans join the
  X-Ray trace Lambda started), else the request's W3C ``traceparent``, else a new trace.
  Outgoing HTTP calls carry ``traceparent`` and ``X-Amzn-Trace-Id``.
* An error is recorded once, on the innermost span it left; its message is masked when the
  service or the error is classified PII or AUTHORIZATION_INFO. No argument, body, header or
  result value is put on a span.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from pypwext._lazy import pattern
from pypwext.errors import ServiceError
from pypwext.observability import _trace_state
from pypwext.observability._otel import export
from pypwext.observability.logging import MASK
from pypwext.observability.logging._masking import is_credential_name

__all__ = [
    "MAX_LINKS",
    "OtelInvocation",
    "parent_from_xray",
    "record_context",
    "xray_header",
    "xray_span_context",
]

REDACTED = "REDACTED"
_PROPAGATOR = TraceContextTextMapPropagator()
_XRAY_ROOT = pattern(r"1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}")
_HEX16 = pattern(r"[0-9a-fA-F]{16}")
_MESSAGING = {  # a record's eventSource: (messaging.system or None, faas.trigger)
    "aws:sqs": ("aws_sqs", "pubsub"),
    "aws:sns": ("aws.sns", "pubsub"),
    "aws:kinesis": ("aws.kinesis", "pubsub"),
    "aws:dynamodb": (None, "datasource"),
    "aws:s3": (None, "datasource"),
}


def xray_span_context(header: str, sampled_only: bool = True) -> SpanContext | None:
    """The span context an X-Ray trace header names
    (``Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1``), else
    ``None`` (and with ``sampled_only``, unless ``Sampled=1``). X-Ray's ``1-<8 hex>-<24 hex>``
    root is the 32-hex W3C trace id."""
    fields = dict(part.strip().split("=", 1) for part in header.split(";") if "=" in part)
    sampled = fields.get("Sampled") == "1"
    if sampled_only and not sampled:
        return None
    root, parent = fields.get("Root", "").strip(), fields.get("Parent", "").strip()
    if _XRAY_ROOT().fullmatch(root) is None or _HEX16().fullmatch(parent) is None:
        return None
    trace_id, span_id = int(root[2:10] + root[11:], 16), int(parent, 16)
    if not trace_id or not span_id:
        return None
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=flags)


def parent_from_xray(header: str) -> Any:
    """The OpenTelemetry context of an ``_X_AMZN_TRACE_ID`` that Lambda sampled, else ``None``."""
    span_context = xray_span_context(header)
    return trace.set_span_in_context(NonRecordingSpan(span_context)) if span_context is not None else None


def record_context(record: Any) -> SpanContext | None:
    """The trace context a batch record carries: a W3C ``traceparent`` message attribute (SQS,
    SNS), else SQS's ``AWSTraceHeader`` system attribute."""
    if not isinstance(record, dict):
        return None
    sns = record.get("Sns") if isinstance(record.get("Sns"), dict) else None
    attributes = (sns or {}).get("MessageAttributes") or record.get("messageAttributes") or {}
    value = attributes.get("traceparent") if isinstance(attributes, dict) else None
    if isinstance(value, dict):
        text = value.get("stringValue") or value.get("Value")
        if isinstance(text, str):
            found = trace.get_current_span(_PROPAGATOR.extract({"traceparent": text})).get_span_context()
            if found.is_valid:
                return found
    system = record.get("attributes")
    header = system.get("AWSTraceHeader") if isinstance(system, dict) else None
    return xray_span_context(header, sampled_only=False) if isinstance(header, str) else None


def _message_id(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    sns = record.get("Sns")
    value = (
        sns.get("MessageId") if isinstance(sns, dict) else record.get("messageId") or record.get("eventID")
    )
    return value if isinstance(value, str) else None


MAX_LINKS = 128
"""Links to the batch records' own traces on a batch's span, at most (OpenTelemetry's default
span link limit)."""


def xray_header(span_context: SpanContext) -> str:
    """The ``X-Amzn-Trace-Id`` value that makes ``span_context`` the caller's parent."""
    tid = format(span_context.trace_id, "032x")
    sampled = 1 if span_context.trace_flags.sampled else 0
    return f"Root=1-{tid[:8]}-{tid[8:]};Parent={format(span_context.span_id, '016x')};Sampled={sampled}"


def _incoming(request: Any) -> Any:
    """The caller's W3C context from an HTTP request's ``traceparent``, else ``None``."""
    if request is None or not request.source.is_http:
        return None
    value = request.headers.get("traceparent")
    if not value:
        return None
    carrier = {"traceparent": value}
    state = request.headers.get("tracestate")
    if state:
        carrier["tracestate"] = state
    found = _PROPAGATOR.extract(carrier)
    return found if trace.get_current_span(found).get_span_context().is_valid else None


def _masked_url(url: str, template: str | None, masked: Any) -> str:
    """``url`` for ``url.full``: no user info; under a masked classification the declared
    path template and every query value redacted, else the values of secret-looking keys."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = parts.path
    if masked is not None:
        path = urlsplit(template).path if template else MASK.format(classification=masked.value)
    shown = f"{parts.scheme}://{netloc}{path}"
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = "&".join(
            f"{quote(k, safe='')}="
            + (REDACTED if masked is not None or is_credential_name(k) else quote(v, safe=""))
            for k, v in pairs
        )
        shown += "?" + query
    return shown


def _record(span: Any, exc: BaseException) -> None:
    """Record ``exc`` on ``span`` (the first span it leaves only), masked by classification."""
    if not _trace_state.first_record(exc):
        return
    classification = _trace_state.masked_for(exc)
    name = type(exc).__qualname__
    message = MASK.format(classification=classification.value) if classification is not None else str(exc)
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    span.add_event(
        "exception",
        {
            "exception.type": name,
            "exception.message": message,
            "exception.stacktrace": f"Traceback (most recent call last):\n{frames}{name}: {message}",
        },
    )
    span.set_attribute("error.type", name)
    if isinstance(exc, ServiceError) and exc.code < 500:
        span.set_attribute("pypwext.error.code", exc.code)
    span.set_status(Status(StatusCode.ERROR, name))


class _Span:
    """What :class:`~pypwext.observability.tracing.trace_call` hands its block: ``put_annotation`` sets an
    attribute (``status`` is the HTTP status code)."""

    __slots__ = ("http", "span", "token")

    def __init__(self, span: Any, token: Any, http: bool) -> None:
        self.span = span
        self.token = token
        self.http = http

    def put_annotation(self, key: str, value: Any) -> None:
        if key == "status" and self.http:
            self.span.set_attribute("http.response.status_code", value)
            if isinstance(value, int) and value >= 400:
                self.span.set_status(Status(StatusCode.ERROR))
                self.span.set_attribute("error.type", str(value))
        else:
            self.span.set_attribute(f"pypwext.{key}", value)


def _event_attributes(event: Any) -> tuple[SpanKind, dict[str, Any]]:
    """The kind and attributes of an invocation that is not an HTTP request."""
    if isinstance(event, dict):
        records = event.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            first = records[0]
            source = str(first.get("eventSource") or first.get("EventSource") or "")
            system, trigger = _MESSAGING.get(source, (None, "other"))
            attrs: dict[str, Any] = {"faas.trigger": trigger}
            if system is not None:
                attrs["messaging.system"] = system
                attrs["messaging.operation.type"] = "process"
                attrs["messaging.batch.message_count"] = len(records)
                arn = first.get("eventSourceARN") or first.get("EventSubscriptionArn") or ""
                if isinstance(arn, str) and arn:
                    destination = arn.split(":")[5] if arn.count(":") >= 5 else arn
                    attrs["messaging.destination.name"] = destination.split("/")[-1]
            return SpanKind.CONSUMER, attrs
        if "detail-type" in event and "source" in event:  # EventBridge
            scheduled = event.get("detail-type") == "Scheduled Event"
            attrs = {"faas.trigger": "timer" if scheduled else "pubsub"}
            if not scheduled:
                attrs["messaging.system"] = "aws.eventbridge"
                attrs["messaging.operation.type"] = "process"
                if isinstance(event.get("id"), str):
                    attrs["messaging.message.id"] = event["id"]
            return SpanKind.CONSUMER, attrs
    return SpanKind.SERVER, {"faas.trigger": "other"}


class OtelInvocation:
    """The trace of one invocation on OpenTelemetry (``end`` closes and exports it)."""

    def __init__(self, obs: Any, trace_header: str, cold_start: bool, request: Any, context: Any) -> None:
        self._obs = obs
        self._context = context
        self._tracer = export.tracer(obs.service)
        self._http = request is not None and request.source.is_http
        parent = (parent_from_xray(trace_header) if trace_header else None) or _incoming(request)
        if self._http:
            kind = SpanKind.SERVER
            attrs: dict[str, Any] = {
                "faas.trigger": "http",
                "http.request.method": request.method,
                "url.path": obs.shown_path(request),
            }
        else:
            kind, attrs = _event_attributes(request.raw_event if request is not None else None)
        attrs["faas.coldstart"] = cold_start
        attrs["pypwext.runtime._service"] = obs.service
        attrs["pypwext.operation"] = obs.operation
        request_id = getattr(context, "aws_request_id", None)
        if isinstance(request_id, str):
            attrs["faas.invocation_id"] = request_id
        arn = getattr(context, "invoked_function_arn", None)
        if isinstance(arn, str) and arn:
            attrs["aws.lambda.invoked_arn"] = arn
            if arn.count(":") >= 4 and arn.split(":")[4]:
                attrs["cloud.account.id"] = arn.split(":")[4]
        region = os.environ.get("AWS_REGION")
        if region:
            attrs["cloud.region"] = region
        links = (
            _record_links(request.raw_event) if request is not None and kind is SpanKind.CONSUMER else None
        )
        self._span = self._tracer.start_span(
            obs.operation, context=parent, kind=kind, attributes=attrs, links=links
        )
        self._token = otel_context.attach(trace.set_span_in_context(self._span, parent))
        self._tokens = (_trace_state.ACTIVE.set(self), _trace_state.CLASSIFICATION.set(obs.classification))

    # --- the hooks of pypwext.observability.tracing.trace_call --------------------------------------------

    def open_span(
        self,
        name: str,
        annotations: dict[str, Any],
        url: str | None,
        url_template: str | None,
        headers: dict[str, str] | None,
    ) -> _Span:
        """Open a child span of the current one (CLIENT for a dependency call)."""
        dependency = annotations.get("dependency")
        attrs: dict[str, Any] = {}
        for key, value in annotations.items():
            if key not in ("method", "function") and isinstance(value, (str, bool, int, float)):
                attrs[f"pypwext.{key}"] = value
        if url is not None:
            parts = urlsplit(url)
            attrs["http.request.method"] = str(annotations.get("method") or "GET")
            attrs["url.full"] = _masked_url(url, url_template, _trace_state.masked_for(None))
            if parts.hostname:
                attrs["server.address"] = parts.hostname
            if parts.port:
                attrs["server.port"] = parts.port
        function = annotations.get("function")
        if isinstance(function, str):
            attrs.update({"rpc.system": "aws-api", "rpc.service": "Lambda", "rpc.method": "Invoke"})
            attrs["faas.invoked_name"] = function.split(":")[6] if function.count(":") >= 6 else function
            attrs["faas.invoked_provider"] = "aws"
            region = function.split(":")[3] if function.startswith("arn:") else os.environ.get("AWS_REGION")
            if region:
                attrs["faas.invoked_region"] = region
        kind = SpanKind.CLIENT if dependency is not None else SpanKind.INTERNAL
        links = None
        if name.endswith(".process_record"):  # a batch record: its id, and a link to its trace
            record = _current_record()
            message_id = _message_id(record)
            if message_id is not None:
                attrs["messaging.message.id"] = message_id
            found = record_context(record)
            links = [trace.Link(found)] if found is not None else None
        span = self._tracer.start_span(name, kind=kind, attributes=attrs, links=links)
        span_context = trace.set_span_in_context(span)
        handle = _Span(span, otel_context.attach(span_context), url is not None)
        if headers is not None:
            self.outgoing_headers(headers)
        return handle

    def outgoing_headers(self, headers: Any) -> None:
        """Put the current span's context on an outgoing request's ``headers``."""
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            _PROPAGATOR.inject(headers)
            headers["X-Amzn-Trace-Id"] = xray_header(span_context)

    def close_span(self, handle: _Span | None, exc: BaseException | None) -> None:
        """End a span :meth:`open_span` opened, recording ``exc`` when it is the first span it left."""
        if handle is None:
            return
        if exc is not None:
            status = getattr(exc, "status", None)  # a DependencyError for an HTTP answer
            if handle.http and isinstance(status, int) and not isinstance(status, bool):
                handle.put_annotation("status", status)
            _record(handle.span, exc)
        otel_context.detach(handle.token)
        handle.span.end()

    # --- the invocation's end ---------------------------------------------------------------

    def end(self, status: int | None, exc: BaseException | None = None) -> None:
        """End the invocation's span (``status`` is the answer's; 5xx is an error) and export
        the invocation's spans before the invocation returns."""
        span = self._span
        try:
            if exc is not None:
                _record(span, exc)
            if status is not None and self._http:
                span.set_attribute("http.response.status_code", status)
            if status is None or status >= 500:
                span.set_status(Status(StatusCode.ERROR))
                if exc is None:
                    span.set_attribute("error.type", str(status or 500))
        finally:
            _trace_state.ACTIVE.reset(self._tokens[0])
            _trace_state.CLASSIFICATION.reset(self._tokens[1])
            otel_context.detach(self._token)
            span.end()
        try:
            export.flush(self._context, self._obs.logger)
        except Exception as exc:  # tracing never costs the invocation
            from pypwext.observability._otel import _warn

            _warn(self._obs.logger, "traces not exported", reason=type(exc).__name__)


def _record_links(event: Any) -> list[trace.Link] | None:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        return None
    links = []
    for record in records[:MAX_LINKS]:
        found = record_context(record)
        if found is not None:
            links.append(trace.Link(found))
    return links or None


def _current_record() -> Any:
    """The batch record being processed in this context (pypwext.kinds._batch's), if any."""
    batch = sys.modules.get("pypwext.kinds._batch")
    current = getattr(batch, "_CURRENT_RECORD", None)
    return current.get() if current is not None else None
