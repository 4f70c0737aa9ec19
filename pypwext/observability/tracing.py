"""X-Ray tracing of pypwext services through Powertools' ``Tracer``.

When is an invocation traced? The class option ``tracing`` decides:

* ``tracing = True``: always (unless ``POWERTOOLS_TRACE_DISABLED`` is true). Outside Lambda,
  pypwext opens a segment named after the service for each invocation, so a local X-Ray daemon
  (``AWS_XRAY_DAEMON_ADDRESS``) receives whole traces.
* ``tracing = None`` (the default): in Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set), when the
  function has active tracing and Lambda sampled this request (``Sampled=1`` in
  ``_X_AMZN_TRACE_ID``), ``POWERTOOLS_TRACE_DISABLED`` is not true and the X-Ray SDK is installed
  (``pip install pypwext[tracing]``). Nothing X-Ray is imported otherwise: an untraced function
  pays nothing at cold start.
* ``tracing = False``: never.

A traced invocation has one subsegment ``## <operation>`` (annotations ``service``,
``operation``, ``cold_start``), one child per lifecycle method and ``@step`` helper
(``<operation>.<method>``) and one per dependency call (:class:`trace_call`). An exception is
recorded once, on the innermost subsegment it left (a 4xx ``ServiceError`` as an error, 429 as a
throttle, anything else as a fault); its message is masked when the service or the error is
classified PII or AUTHORIZATION_INFO. Arguments and results are never put in traces.

Powertools' Tracer is built with ``auto_patch=False`` (no library is patched: dependency calls
are traced by pypwext itself) and sends each subsegment as soon as it closes.

**OpenTelemetry.** ``OTEL_TRACES_EXPORTER=otlp`` switches every service whose ``tracing`` is not
``False`` to the OpenTelemetry backend (:mod:`pypwext.observability._otel`): the same hook points --
:func:`start_trace` per invocation, :class:`trace_call` per step and dependency call -- open
spans instead of subsegments, exported by the function itself at the end of each invocation.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from pypwext.base import InfoClassification
from pypwext.errors import ServiceError
from pypwext.observability._trace_state import ACTIVE as _ACTIVE
from pypwext.observability._trace_state import CLASSIFICATION as _CLASSIFICATION
from pypwext.observability._trace_state import first_record, masked_for
from pypwext.observability.logging import MASK

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

__all__ = [
    "active",
    "carry_trace_context",
    "sdk_available",
    "start_trace",
    "trace_call",
    "tracer",
    "wanted",
    "xray_active",
]

R = TypeVar("R")

_tracer: Tracer | None = None
_sdk: bool | None = None
_TRUE = ("1", "true", "yes", "on")


def sdk_available() -> bool:
    """Whether the X-Ray SDK is installed (looked up once, without importing it)."""
    global _sdk
    if _sdk is None:
        import importlib.util  # (only a class that sets tracing = True asks)

        _sdk = importlib.util.find_spec("aws_xray_sdk") is not None
    return _sdk


_TRACE_KEY = "_X_AMZN_TRACE_ID"
_FS_ENCODING = sys.getfilesystemencoding()


def read_trace_header() -> str:
    """This invocation's ``_X_AMZN_TRACE_ID`` (``""`` when unset), which Lambda's runtime puts in
    ``os.environ`` before each invocation."""
    return environ_value(_TRACE_KEY)


_ENV_KEYS: dict[str, bytes] = {}


def environ_value(name: str) -> str:
    """``os.environ.get(name, "")``, for what is read on every invocation (the trace header,
    whether OpenTelemetry is asked for): it looks in the dict under ``os.environ`` where there
    is one (POSIX), as ``os.environ`` itself does, without ``os.environ.get``'s cost -- it encodes
    the name, and raises and catches a ``KeyError`` when the variable is unset, several times
    the cost of the lookup itself.

    >>> environ_value("PYPWEXT_SURELY_UNSET")
    ''
    """
    data = getattr(os.environ, "_data", None)
    if type(data) is dict:
        key = _ENV_KEYS.get(name)
        if key is None:
            key = _ENV_KEYS[name] = name.encode(_FS_ENCODING, "surrogateescape")
        raw = data.get(key)
        if raw is None:
            return ""
        if type(raw) is bytes:
            return raw.decode(_FS_ENCODING, "surrogateescape")
    return os.environ.get(name, "")


def wanted(option: bool | None, trace_header: str | None = None) -> bool:
    """Whether this invocation is traced, for the class option ``tracing`` (see the module docs).

    ``trace_header`` is the invocation's ``_X_AMZN_TRACE_ID`` when the caller has read it
    already (the environment is read otherwise)."""
    if option is False:
        return False
    if option is None:  # Lambda's sampling decides: the common, untraced case reads one variable
        if trace_header is None:
            trace_header = read_trace_header()
        if not trace_header or "Sampled=1" not in trace_header:
            return False
        if not environ_value("AWS_LAMBDA_FUNCTION_NAME") or not sdk_available():
            return False
    return environ_value("POWERTOOLS_TRACE_DISABLED").strip().lower() not in _TRUE


def tracer() -> Tracer:
    """The process's Powertools ``Tracer``, built on first use."""
    global _tracer
    if _tracer is None:
        if not sdk_available():
            raise RuntimeError("tracing needs the AWS X-Ray SDK: pip install 'pypwext[tracing]'")
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(disabled=False, auto_patch=False)
    return _tracer


def active() -> bool:
    """Whether the code running now is part of a traced invocation (either backend)."""
    return _ACTIVE.get() is not None


current_recorder = _ACTIVE.get
"""The recorder of the traced invocation running now, or ``None``: :func:`active` without a
Python call, for the check every step makes."""


def xray_active() -> bool:
    """Whether the code running now is traced by the X-Ray SDK (whose current segment is per
    thread: threads must be handed it; OpenTelemetry's context follows ``contextvars``)."""
    recorder = _ACTIVE.get()
    return recorder is not None and not hasattr(recorder, "open_span")


def carried(fn: Callable[..., R]) -> Callable[..., R]:
    """``fn``, made to open its subsegments under the caller's when it runs in another thread of
    an invocation traced by the X-Ray SDK (whose current segment is per thread, not per context;
    OpenTelemetry's context follows the ``contextvars`` the thread is given). Call it in the
    caller's thread; ``fn`` itself when the invocation is not traced with X-Ray."""
    if not xray_active():
        return fn
    recorder: Any = tracer().provider
    entity = recorder.get_trace_entity()

    def run(*args: Any, **kwargs: Any) -> R:
        recorder.set_trace_entity(entity)
        try:
            return fn(*args, **kwargs)
        finally:
            recorder.clear_trace_entities()

    return run


def _record(subsegment: Any, exc: BaseException) -> None:
    """Record ``exc`` on ``subsegment`` unless a subsegment inside it already did."""
    import traceback  # only when an error is logged: not on every cold start

    if not first_record(exc):
        return
    stack = traceback.extract_tb(exc.__traceback__)
    subsegment.add_exception(exc, stack)
    classification = masked_for(exc)
    if classification is not None:
        for thrown in subsegment.cause.get("exceptions", []):
            thrown.message = MASK.format(classification=classification.value)
    if isinstance(exc, ServiceError) and exc.code < 500:
        subsegment.fault = False
        subsegment.add_error_flag()
        if exc.code == 429:
            subsegment.add_throttle_flag()


class trace_call:
    """A subsegment around a block, when the invocation is traced; nothing otherwise.

    Dependency code wraps each call in it::

        with trace_call("inventory GET /v1/items", dependency="inventory"):
            response = session.get(url)

    Keyword arguments become annotations (strings, numbers, booleans); a ``dependency``
    annotation makes it a call to another system (an OpenTelemetry CLIENT span). An HTTP call
    passes ``url`` (the URL sent), ``url_template`` (the declared one) and ``headers`` (the dict
    about to be sent: the OpenTelemetry backend adds ``traceparent`` and ``X-Amzn-Trace-Id``).
    An exception leaving the block is recorded on this subsegment (once, however many
    subsegments it then leaves). ``as`` gives a handle whose ``put_annotation(key, value)``
    works on both backends (``status`` is the HTTP status), or ``None`` when untraced.
    """

    __slots__ = ("_annotations", "_http", "_name", "_recorder", "_subsegment")

    def __init__(
        self,
        name: str,
        *,
        url: str | None = None,
        url_template: str | None = None,
        headers: dict[str, str] | None = None,
        **annotations: Any,
    ) -> None:
        self._name = name
        self._annotations = annotations
        self._recorder: Any = None
        self._http = (url, url_template, headers)
        self._subsegment: Any = None

    def __enter__(self) -> Any:
        recorder = _ACTIVE.get()
        if recorder is None:
            return None
        self._recorder = recorder
        if hasattr(recorder, "open_span"):  # the OpenTelemetry backend
            self._subsegment = recorder.open_span(self._name, self._annotations, *self._http)
            return self._subsegment
        subsegment = recorder.begin_subsegment(self._name)
        self._subsegment = subsegment
        if subsegment is not None:
            for key, value in self._annotations.items():
                subsegment.put_annotation(key, value)
        return subsegment

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        recorder = self._recorder
        if recorder is None:
            return
        self._recorder = None
        if hasattr(recorder, "open_span"):
            recorder.close_span(self._subsegment, exc)
        elif self._subsegment is not None:
            if exc is not None:
                _record(self._subsegment, exc)
            recorder.end_subsegment()
        self._subsegment = None


class InvocationTrace:
    """The trace of one invocation: ``## <operation>`` and, outside Lambda, its segment."""

    __slots__ = ("_own_segment", "_recorder", "_subsegment", "_tokens")

    def __init__(
        self,
        service: str,
        operation: str,
        cold_start: bool,
        classification: InfoClassification,
    ) -> None:
        recorder: Any = tracer().provider  # the X-Ray recorder
        self._recorder = recorder
        self._own_segment = not os.environ.get("LAMBDA_TASK_ROOT")
        if self._own_segment:
            recorder.begin_segment(service, sampling=1)
        self._subsegment = recorder.begin_subsegment(f"## {operation}")
        if self._subsegment is not None:
            self._subsegment.put_annotation("service", service)
            self._subsegment.put_annotation("operation", operation)
            self._subsegment.put_annotation("cold_start", cold_start)
        self._tokens = (_ACTIVE.set(recorder), _CLASSIFICATION.set(classification))

    def end(self, status: int | None, exc: BaseException | None = None) -> None:
        """Close the trace; ``status`` is what the invocation answered (5xx marks a fault)."""
        _ACTIVE.reset(self._tokens[0])
        _CLASSIFICATION.reset(self._tokens[1])
        recorder = self._recorder
        subsegment = self._subsegment
        if subsegment is not None:
            if exc is not None:
                _record(subsegment, exc)
            elif status is not None and status >= 500:
                subsegment.add_fault_flag()
            elif status is not None and status >= 400:
                subsegment.add_error_flag()
            if status is not None:
                subsegment.put_annotation("status", status)
            recorder.end_subsegment()
        if self._own_segment:
            recorder.end_segment()


def start_trace(
    obs: Any, trace_header: str, cold_start: bool, request: Any, context: Any
) -> InvocationTrace | Any | None:
    """The trace of the invocation starting now (``end(status, exc)`` closes it), or ``None``
    when it is not traced: OpenTelemetry when ``OTEL_TRACES_EXPORTER`` asks for it and the
    service's ``tracing`` is not ``False``, else X-Ray as :func:`wanted` decides.

    ``obs`` is the service's :class:`~pypwext.observability._summary.Observability`."""
    if obs.tracing is not False and environ_value("OTEL_TRACES_EXPORTER"):
        from pypwext.observability import _otel

        if _otel.enabled(obs.logger):
            try:
                from pypwext.observability._otel.spans import OtelInvocation

                return OtelInvocation(obs, trace_header, cold_start, request, context)
            except Exception as exc:  # tracing never costs the invocation
                _otel.warn_once(
                    obs.logger,
                    "start",
                    "OpenTelemetry tracing could not start: not traced",
                    reason=type(exc).__name__,
                )
                return None
    if wanted(obs.tracing, trace_header):
        return InvocationTrace(obs.service, obs.operation, cold_start, obs.classification)
    return None


def _add_trace_headers(request: Any, **_: Any) -> None:
    """botocore ``before-sign`` handler: the current span's context on the outgoing request."""
    recorder = _ACTIVE.get()
    if recorder is not None and hasattr(recorder, "outgoing_headers"):
        recorder.outgoing_headers(request.headers)


def carry_trace_context(boto_client: Any) -> None:
    """Make ``boto_client``'s Lambda calls carry the trace context (``X-Amzn-Trace-Id``, which
    Lambda gives the invoked function as its ``_X_AMZN_TRACE_ID``, and ``traceparent``) when
    the invocation is traced with OpenTelemetry. Costs nothing untraced."""
    boto_client.meta.events.register(
        "before-sign.lambda", _add_trace_headers, unique_id="pypwext-trace-context"
    )
