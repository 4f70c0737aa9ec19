"""What an invocation leaves behind: its log lines, its summary and audit entry, metrics, traces.

``logging`` (the one line encoder, redaction, ``ServiceLogger``) and ``tracing`` (X-Ray and
OpenTelemetry) are sub-modules; this module exports the per-invocation state they read.
"""

from typing import TYPE_CHECKING

from pypwext._lazy import exports

_HOMES = {
    "MAX_CORRELATION_ID_CHARS": "pypwext.observability._context",
    "Invocation": "pypwext.observability._context",
    "current_invocation": "pypwext.observability._context",
    "fit_correlation_id": "pypwext.observability._context",
    "invocation_scope": "pypwext.observability._context",
    "usable_correlation_id": "pypwext.observability._context",
    "ServiceMetrics": "pypwext.observability._metrics",
    "Observability": "pypwext.observability._summary",
    "Observed": "pypwext.observability._summary",
}

if TYPE_CHECKING:
    from pypwext.observability._context import (
        MAX_CORRELATION_ID_CHARS,
        Invocation,
        current_invocation,
        fit_correlation_id,
        invocation_scope,
        usable_correlation_id,
    )
    from pypwext.observability._metrics import ServiceMetrics
    from pypwext.observability._summary import Observability, Observed

__all__ = [
    "MAX_CORRELATION_ID_CHARS",
    "Invocation",
    "Observability",
    "Observed",
    "ServiceMetrics",
    "current_invocation",
    "fit_correlation_id",
    "invocation_scope",
    "usable_correlation_id",
]

__getattr__, __dir__ = exports(__name__, _HOMES, __all__)
