"""The one encoder of pypwext's log lines: every entry -- written straight to stdout by a
service logger, or through Powertools' ``Logger`` by
:class:`~pypwext.observability.logging._formatter.ServiceFormatter` -- becomes its JSON line in
:func:`encode`, so the two ways cannot drift.

A line holds ``level``, ``location``, ``message``, ``timestamp``, the fixed fields
(:data:`FIXED`: ``service`` and the entry's labels ``classification``, ``type``,
``operation``), then the other fields in their order (the logger's appended keys, the entry's
own fields, a record's extra fields, ``exception`` and ``exception_name``), then the
invocation's fields (:mod:`pypwext.observability.logging._invocation`) that the entry did not
set. The message and the other fields -- where an invocation's data can go -- have
credential-bearing ``name=value`` pairs and the invocation's classified values masked; the
fixed fields are never masked.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

from pypwext.base import InfoClassification, LogEntryType
from pypwext.codec import dumps, dumps_str, to_jsonable
from pypwext.observability.logging._invocation import current_invocation_fields
from pypwext.observability.logging._masking import current_secrets, mask_pairs
from pypwext.observability.logging._redaction import _AUTH_MASK, _MAX_DEPTH, _SCALARS, _masking_lifted
from pypwext.observability.logging._traceback import format_exception

__all__ = [
    "FIXED",
    "PREFIXED",
    "Labels",
    "encode",
    "exception_fields",
    "format_line",
    "invocation_fragment",
    "label_fields",
    "line_head",
    "message_value",
    "timestamp",
    "write_line",
]

Labels = tuple[str, InfoClassification, LogEntryType]
"""An entry's operation, classification and log type."""

PREFIXED = frozenset(
    {"level", "location", "message", "timestamp", "service", "classification", "type", "operation"}
)
"""The fields every line starts with: a service logger writes an entry's own field of one of
these names with a trailing ``_`` (``level_``)."""

FIXED = PREFIXED - {"message"}
"""The fields of a line that no invocation's data reaches: never masked."""

_stamp_second = -1
_stamp = ("", "")
_MILLIS = tuple(map(",{:03d}".format, range(1000)))  # (",000" to ",999")


def timestamp(created: float) -> str:
    """``2024-05-01 12:00:00,123+0000``: Powertools' default timestamp (local time), with the
    part up to the second computed once per second."""
    global _stamp_second, _stamp
    second = int(created)
    if second != _stamp_second:
        struct = time.localtime(second)
        _stamp = (time.strftime("%Y-%m-%d %H:%M:%S", struct), time.strftime("%z", struct))
        _stamp_second = second
    day_time, zone = _stamp
    return day_time + _MILLIS[int((created - second) * 1000)] + zone


def message_value(msg: Any, args: tuple[Any, ...] | Mapping[str, Any] | None = None) -> Any:
    """What an entry's ``message`` holds: ``msg % args`` when there are arguments, a string,
    dict, list or number as it is, anything else as ``str``."""
    if args:
        if isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
            args = args[0]  # logging's rule: ``log("%(n)s", {"n": 1})`` formats by name
        try:
            return str(msg) % args
        except (TypeError, ValueError, KeyError):  # arguments that do not fit: shown, never a failure
            return f"{msg} {args!r}"
    if isinstance(msg, (str, dict, list, int, float)):
        return msg
    return str(msg)


def label_fields(labels: Labels, more: dict[str, Any]) -> dict[str, Any]:
    """An entry's own fields: ``classification``, ``type`` and ``operation``, then ``more``."""
    operation, classification, log_type = labels
    return {"classification": classification.value, "type": log_type.value, "operation": operation, **more}


def exception_fields(exc_info: Any) -> dict[str, str] | None:
    """``exception`` (the traceback) and ``exception_name`` of ``exc_info``, if it holds one."""
    if exc_info and exc_info[0] is not None:
        return {"exception": format_exception(exc_info[1]), "exception_name": exc_info[0].__name__}
    return None


def line_head(level_name: str, location: str) -> str:
    """The start of a line, up to its message: ``{"level":...,"location":...,"message":``."""
    return dumps({"level": level_name, "location": location})[:-1] + ',"message":'


def encode(head: str, message: Any, stamp: str, tail: str, members: str, fragment: str) -> str:
    """The one line encoder: ``head`` (:func:`line_head`), the message, the timestamp
    (``stamp``), ``tail`` (the fixed fields after the timestamp, starting with its closing
    ``",``), the entry's own fields already encoded (``members``, the inside of a JSON object)
    and the invocation's (``fragment``, :func:`invocation_fragment`).

    The message and ``members`` -- where an invocation's data can go -- are masked: their
    credential-bearing ``name=value`` pairs (a URL quoted with its ``?api_key=...``) and the
    invocation's classified values; ``tail`` and ``fragment`` are not.

    Raises ``TypeError``/``ValueError`` when the message cannot be encoded."""
    encoded = dumps_str(message) if type(message) is str else dumps(message)
    if not _masking_lifted():
        encoded = mask_pairs(encoded, _AUTH_MASK)
        if members:
            members = mask_pairs(members, _AUTH_MASK)
    secrets = current_secrets()
    if secrets is not None and secrets:
        encoded = secrets.mask(encoded)
        members = secrets.mask(members)
    line = head + encoded + ',"timestamp":"' + stamp + tail
    if members:
        line += "," + members
    if fragment:
        line += "," + fragment
    return line + "}"


def format_line(
    level_name: str,
    location: str,
    message: Any,
    created: float,
    keys: Mapping[str, Any],
    fields: Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None = None,
    exc_info: Any = None,
) -> str:
    """One log line from an entry's parts as dicts: the logger's ``keys`` (``service``,
    appended keys), the entry's ``fields`` (its labels, then its own fields), a record's
    ``extra`` fields, ``exc_info``'s exception (unless the entry has one). A later one replaces
    an earlier one of the same name in its place (a field replaces a key), the entry's fields
    replace the invocation's, and the fixed fields (:data:`FIXED`) come first; a value the
    codec cannot encode is shown by its ``repr``. Encoded by :func:`encode`, as a service
    logger encodes the entries it writes itself."""
    entry: dict[str, Any] = {"level": level_name, "location": location, "message": message, "timestamp": None}
    entry.update(keys)
    if fields is not None:
        entry.update(fields)
    if extra:
        entry.update(extra)
    if "exception" not in entry:
        exception = exception_fields(exc_info)
        if exception is not None:
            entry.update(exception)
    invocation = current_invocation_fields()
    if invocation is None:
        fragment = ""
    elif invocation.keys().isdisjoint(entry):
        fragment = invocation_fragment(invocation)
    else:  # the entry's own fields win
        fragment = _encode_invocation({k: v for k, v in invocation.items() if k not in entry})
    head = line_head(entry.pop("level"), entry.pop("location"))
    message = entry.pop("message")
    stamp = entry.pop("timestamp")
    stamp = timestamp(created) if stamp is None else dumps_str(str(stamp))[1:-1]
    tail = ['"']  # the fixed fields (never masked), in their order
    members: list[str] = []  # the others, in theirs
    for key, value in entry.items():
        try:
            member = dumps_str(key) + ":" + dumps(value)
        except (TypeError, ValueError):  # a log line never fails: show what cannot be encoded by its repr
            member = dumps_str(key) + ":" + dumps(_safe(value, 0))
        (tail if key in FIXED else members).append(member)
    try:
        return encode(head, message, stamp, ",".join(tail), ",".join(members), fragment)
    except (TypeError, ValueError):
        return encode(head, _safe(message, 0), stamp, ",".join(tail), ",".join(members), fragment)


def _safe(value: Any, depth: int) -> Any:
    if isinstance(value, _SCALARS):
        if type(value) is float and value - value != 0.0:  # NaN, Infinity: strict JSON has none
            return repr(value)
        return value
    if depth > _MAX_DEPTH:
        return "..."
    if isinstance(value, dict):
        return {str(k): _safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v, depth + 1) for v in value]
    try:
        return _safe(to_jsonable(value), depth + 1)
    except Exception:
        return repr(value)


# --- the invocation's fields, encoded once per invocation ---------------------------------------

_fragment: tuple[dict[str, Any] | None, str] = (None, "")


def invocation_fragment(fields: dict[str, Any] | None) -> str:
    """The invocation's fields encoded as the inside of a JSON object, once per invocation
    (``""`` outside one)."""
    global _fragment
    if not fields:
        return ""
    cached, fragment = _fragment
    if cached is not fields:
        fragment = _encode_invocation(fields)
        _fragment = (fields, fragment)
    return fragment


_STATIC_FIELDS = ("cold_start", "function_name", "function_memory_size", "function_arn")
_static_fragments: dict[tuple[Any, ...], str] = {}


def _encode_invocation(fields: dict[str, Any]) -> str:
    """``dumps(fields)[1:-1]``, with the fields that stay the same from one warm invocation to
    the next (cold start, function name, memory, ARN) encoded once, not per invocation."""
    names = tuple(fields)
    if names[:4] != _STATIC_FIELDS:
        return dumps(fields)[1:-1]
    static = (
        fields["cold_start"],
        fields["function_name"],
        fields["function_memory_size"],
        fields["function_arn"],
    )
    try:
        head = _static_fragments.get(static)
    except TypeError:  # a stand-in context with a value that cannot be hashed
        return dumps(fields)[1:-1]
    if head is None:
        if len(_static_fragments) >= 8:  # (a process runs one function: this stays small)
            _static_fragments.clear()
        head = _static_fragments[static] = dumps(dict(zip(_STATIC_FIELDS, static, strict=True)))[1:-1]
    parts = [head]
    for name in names[4:]:
        value = fields[name]
        parts.append(dumps_str(name) + ":" + (dumps_str(value) if type(value) is str else dumps(value)))
    return ",".join(parts)


def write_line(line: str) -> None:
    """Write one line to the current ``sys.stdout`` and flush it (Lambda may freeze the process
    as soon as the handler returns); a stdout that cannot take it never fails the invocation."""
    out = sys.stdout
    try:
        out.write(line + "\n")
        out.flush()
    except (OSError, ValueError):  # closed or broken stdout
        pass
