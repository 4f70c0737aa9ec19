"""The fields every entry of one invocation carries (``cold_start``, ``function_*``,
``correlation_id``, ``xray_trace_id``): built once per invocation (:func:`invocation_fields`),
set for the invocation's context, and the process's one cold start (:func:`take_cold_start`)."""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import Any

__all__ = [
    "current_invocation_fields",
    "invocation_fields",
    "reset_invocation_fields",
    "set_invocation_fields",
    "take_cold_start",
]

_INVOCATION_FIELDS: ContextVar[dict[str, Any] | None] = ContextVar("pypwext_log_fields", default=None)

_cold_start = True


def take_cold_start() -> bool:
    """True for the first invocation in this process (not with provisioned concurrency), then
    False; pypwext asks once per invocation and shares the answer between logs, traces and metrics."""
    global _cold_start
    if not _cold_start:
        return False
    _cold_start = False
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"


_CONTEXT_FIELDS = (
    ("function_name", "function_name"),
    ("function_memory_size", "memory_limit_in_mb"),
    ("function_arn", "invoked_function_arn"),
    ("function_request_id", "aws_request_id"),
)


def invocation_fields(
    context: Any, correlation_id: str | None, cold_start: bool, trace_header: str
) -> dict[str, Any]:
    """The fields every entry of one invocation carries (Powertools' ``inject_lambda_context``
    names); ``trace_header`` is the invocation's ``_X_AMZN_TRACE_ID`` (``""`` when unset), as
    :func:`pypwext.observability.tracing.read_trace_header` reads it."""
    try:  # Lambda's context has them all: one dict, no loop
        fields: dict[str, Any] = {
            "cold_start": cold_start,
            "function_name": context.function_name,
            "function_memory_size": context.memory_limit_in_mb,
            "function_arn": context.invoked_function_arn,
            "function_request_id": context.aws_request_id,
        }
        if None in fields.values():
            fields = {name: value for name, value in fields.items() if value is not None}
    except AttributeError:  # no context, or a stand-in with some of them
        fields = {"cold_start": cold_start}
        if context is not None:
            for name, attribute in _CONTEXT_FIELDS:
                value = getattr(context, attribute, None)
                if value is not None:
                    fields[name] = value
    if correlation_id is not None:
        fields["correlation_id"] = correlation_id
    if trace_header:
        root = trace_header.split(";", 1)[0]
        fields["xray_trace_id"] = root[5:] if root.startswith("Root=") else root
    return fields


# Make fields part of every entry written in this context (returns a token), and undo that.
set_invocation_fields = _INVOCATION_FIELDS.set
reset_invocation_fields = _INVOCATION_FIELDS.reset
current_invocation_fields = _INVOCATION_FIELDS.get
"""The running invocation's fields (``None`` outside one): the context variable's own method,
because every line asks."""
