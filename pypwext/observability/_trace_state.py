"""The state every tracing backend shares for the invocation running now: which backend records
it, the classification that masks what a span may say, and whether an error was recorded yet.

:mod:`pypwext.observability.tracing` (which chooses the backend) and the OpenTelemetry backend
(:mod:`pypwext.observability._otel.spans`) both read it; neither imports the other for it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from pypwext.base import InfoClassification
from pypwext.errors import ServiceError
from pypwext.observability.logging import is_masked

__all__ = ["ACTIVE", "CLASSIFICATION", "first_record", "masked_for"]

ACTIVE: ContextVar[Any] = ContextVar("pypwext_trace_recorder", default=None)
"""The X-Ray recorder, or the OpenTelemetry backend (an object with ``open``/``close``), of the
traced invocation running now."""
CLASSIFICATION: ContextVar[InfoClassification] = ContextVar(
    "pypwext_trace_classification", default=InfoClassification.NA
)


def first_record(exc: BaseException) -> bool:
    """True the first time ``exc`` is to be recorded on a span or subsegment (it is recorded once,
    on the innermost one it left), False after."""
    if getattr(exc, "__pypwext_traced__", False):
        return False
    try:
        exc.__pypwext_traced__ = True  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return True


def masked_for(exc: BaseException | None) -> InfoClassification | None:
    """The classification that masks what a trace may say about the running invocation (an
    error message, a URL's query): the error's own when it is a masked ``ServiceError``, else
    the service's; ``None`` when nothing is masked."""
    classification = CLASSIFICATION.get()
    if isinstance(exc, ServiceError) and is_masked(exc.classification):
        classification = exc.classification
    return classification if is_masked(classification) else None
