"""Tracing on OpenTelemetry, exported by the function itself (no layer, no collector).

Switched on by OpenTelemetry's own variable ``OTEL_TRACES_EXPORTER=otlp`` for every service
whose ``tracing`` option is not ``False``. The other ``OTEL_*`` variables mean what they mean
in OpenTelemetry, and the SDK reads most of them itself: ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER`` (and ``_ARG``),
``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT``, ``_HEADERS``, ``_TIMEOUT``, ``_COMPRESSION``.
``OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`` may only be ``http/protobuf`` (another value: one
WARNING, and http/protobuf is used). ``OTEL_SDK_DISABLED=true`` switches it off.

This module reads the variables only: nothing of OpenTelemetry is imported until an invocation
is traced (:mod:`pypwext.observability._otel.spans`, :mod:`pypwext.observability._otel.export`).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any

__all__ = ["PROTOCOL", "enabled", "reset", "warn_once"]

PROTOCOL = "http/protobuf"
"""The only OTLP protocol pypwext exports with (the proto-HTTP exporter)."""

_TRUE = ("1", "true", "yes", "on")
_lock = threading.Lock()
_warned: set[str] = set()
_sdk: bool | None = None


def warn_once(logger: Any, key: str, message: str, **fields: Any) -> None:
    """Log ``message`` as a WARNING the first time ``key`` is seen in this process (a
    misconfiguration is said once, not on every invocation)."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    _warn(logger, message, **fields)


def _warn(logger: Any, message: str, **fields: Any) -> None:
    from pypwext.base import InfoClassification

    if logger is not None:
        logger.warning(message, classification=InfoClassification.NA, **fields)
    else:  # pragma: no cover - a trace always has its service's logger
        import logging

        logging.getLogger("pypwext.otel").warning(message, extra=fields)


def _sdk_available() -> bool:
    global _sdk
    if _sdk is None:
        _sdk = all(
            importlib.util.find_spec(name) is not None
            for name in ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http")
        )
    return _sdk


def enabled(logger: Any) -> bool:
    """Whether this invocation is traced with OpenTelemetry: ``OTEL_TRACES_EXPORTER`` lists
    ``otlp``, ``OTEL_SDK_DISABLED`` is not true and the SDK is installed (``pypwext[otel]``).
    A value pypwext cannot honour is said once, as a WARNING."""
    exporters = {
        e.strip().lower() for e in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()
    }
    if not exporters or exporters == {"none"}:
        return False
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() in _TRUE:
        return False
    others = sorted(exporters - {"otlp", "none"})
    if others:
        warn_once(
            logger,
            "exporter:" + ",".join(others),
            "OTEL_TRACES_EXPORTER: pypwext exports with otlp only; ignoring the others",
            ignored=others,
        )
    if "otlp" not in exporters:
        return False
    if not _sdk_available():
        warn_once(
            logger,
            "sdk",
            "OTEL_TRACES_EXPORTER=otlp but the OpenTelemetry SDK is not installed "
            "(pip install 'pypwext[otel]'): not traced",
        )
        return False
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = os.environ.get(name, "").strip()
        if protocol:
            if protocol != PROTOCOL:
                warn_once(
                    logger,
                    f"protocol:{protocol}",
                    f"{name}={protocol} is not supported: pypwext exports OTLP over {PROTOCOL}",
                )
            break  # the signal-specific variable wins over the general one
    return True


def reset() -> None:
    """Forget the process's tracer provider and warnings (for tests that change ``OTEL_*``)."""
    with _lock:
        _warned.clear()
    import sys

    export = sys.modules.get("pypwext.observability._otel.export")
    if export is not None:
        export.reset()
