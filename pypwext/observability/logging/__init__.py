"""The structured logger of pypwext services, built on Powertools' ``Logger``.

Every entry carries PyPwExt's fields -- ``level``, ``timestamp``, ``message``, ``service``,
``classification``, ``type``, ``operation``, ``location`` -- and, during an invocation, the
invocation's own: ``cold_start``, ``function_name``, ``function_memory_size``, ``function_arn``,
``function_request_id``, ``correlation_id`` and ``xray_trace_id``.

Redaction: a value classified ``PII`` or ``AUTHORIZATION_INFO`` -- by the method, the service
class, the error that carries it or an attrs/dataclass field's ``metadata={"classification":
...}`` at any depth -- is replaced by :data:`MASK` before it reaches a log line; a header,
query parameter or key whose name says it carries a credential (``Authorization``,
``X-Auth-Token``, ``api_key``, ``X-Amz-Signature``...: :func:`is_credential_name`) and a
request's cookies are always masked. The values that arrived in such fields are also masked
by value in every line of the invocation, wherever they went (:mod:`pypwext.observability.logging._masking`).
Setting ``PYPWEXT_LOG_UNMASKED=true`` lifts the masking for a debugging session; each service
logger then writes a WARNING when it starts.

The Powertools logger (and Powertools itself) is imported the first time a service logs, not at
``import pypwext``.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging as _stdlib_logging
import os
import sys
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, Any, cast

import attrs

from pypwext import _pydantic
from pypwext.base import CONFIDENTIAL, InfoClassification, LogEntryType
from pypwext.codec import dumps, dumps_str, loads, to_jsonable
from pypwext.errors import ServiceError
from pypwext.observability.logging._masking import Secrets, is_credential_name, mask_pairs
from pypwext.observability.logging._masking import current_secrets as _current_secrets
from pypwext.wire._events import EventSource, Request
from pypwext.wire._responses import Response

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

__all__ = [
    "MASK",
    "SENSITIVE_HEADERS",
    "UNMASK_ENV",
    "VERBOSE",
    "ServiceLogger",
    "current_logger",
    "is_credential_name",
    "is_masked",
    "redact",
    "render",
]

VERBOSE = 15
"""PyPwExt's ``VERBOSE`` level: between ``DEBUG`` (10) and ``INFO`` (20). ``LOG_LEVEL=VERBOSE``
shows what services log with ``self.logger.verbose(...)`` without the DEBUG entry/exit lines."""
_stdlib_logging.addLevelName(VERBOSE, "VERBOSE")

MASK = "*** redacted ({classification}) ***"
"""What a masked value looks like in a log line, e.g. ``*** redacted (PII) ***``."""

UNMASK_ENV = "PYPWEXT_LOG_UNMASKED"
"""Set to ``true``/``1`` to write classified values in clear (a debugging session only)."""

SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token"})
"""Some headers whose values never reach a log line, whatever the classification: examples of
the rule :func:`is_credential_name`, which decides (it masks ``Proxy-Authorization``,
``X-Auth-Token``, ``access_token``... as well)."""

_MASKED = CONFIDENTIAL
_MASKED_NAMES = frozenset(c.value for c in _MASKED)
_AUTH_MASK = MASK.format(classification=InfoClassification.AUTHORIZATION_INFO.value)
_PII_MASK = MASK.format(classification=InfoClassification.PII.value)
_MAX_DEPTH = 24

_unmasked: bool | None = None


def _masking_lifted() -> bool:
    global _unmasked
    if _unmasked is None:
        _unmasked = os.environ.get(UNMASK_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return _unmasked


def is_masked(classification: InfoClassification | str | None) -> bool:
    """Whether values of ``classification`` are masked in log lines (PII, AUTHORIZATION_INFO)."""
    if classification is None or _masking_lifted():
        return False
    return classification in _MASKED or classification in _MASKED_NAMES


def _mask(classification: InfoClassification | str) -> str:
    value = classification.value if isinstance(classification, InfoClassification) else str(classification)
    return MASK.format(classification=value)


def redact(value: Any, classification: InfoClassification) -> Any:
    """``value`` as it may appear in a log line: masked as a whole when its classification forbids
    clear text, else rendered with :func:`render` (which masks classified fields inside it).

    >>> redact({"ssn": "19120102-01921"}, InfoClassification.PII)
    '*** redacted (PII) ***'
    >>> redact({"n": 3, "headers": {"Authorization": "Bearer x"}}, InfoClassification.NA)
    {'n': 3, 'headers': {'Authorization': '*** redacted (AUTHORIZATION_INFO) ***'}}
    """
    if is_masked(classification):
        return _mask(classification)
    return render(value)


def render(value: Any) -> Any:
    """The JSON-ready form of ``value`` for a log line, with classified fields masked.

    attrs and dataclass fields whose ``metadata["classification"]`` is PII or AUTHORIZATION_INFO
    are masked at any depth; sensitive headers are masked in any mapping; a :class:`Request`
    shows its method, path, headers, query, path parameters and body, its cookies masked; a
    :class:`~pypwext.ServiceError` classified PII shows neither its message nor its details.
    Everything else goes through the one codec (:func:`pypwext.codec.to_jsonable`); what it
    cannot encode is shown by its ``repr``.
    """
    return _render(value, 0)


_SCALARS = (str, int, float, bool, type(None))

RENDER_ITEMS = 100
"""How many items of a list (or keys of a mapping) a log line shows, at any depth; the rest are
counted in one last item (``"... 20900 more items"``, a ``"..."`` key). A DEBUG line logs each
lifecycle method's input and result: without a bound, a 1 MB body of items made every such line
a megabyte, and as costly to build, mask and write."""


def _render(value: Any, depth: int) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if depth > _MAX_DEPTH:
        return "..."
    depth += 1
    if isinstance(value, Mapping):
        return _render_mapping(value, depth)
    if isinstance(value, (list, tuple)):
        if len(value) <= RENDER_ITEMS:
            return [_render(v, depth) for v in value]
        shown = [_render(v, depth) for v in value[:RENDER_ITEMS]]
        shown.append(f"... {len(value) - RENDER_ITEMS} more items")
        return shown
    if isinstance(value, Request):
        return _render_request(value, depth)
    if isinstance(value, Response):
        return _render_response(value, depth)
    if isinstance(value, ServiceError):
        return _render_error(value, depth)
    cls = type(value)
    if _has_spec(value, cls):
        return {
            name: (_mask(c) if c is not None else _render(getattr(value, name), depth))
            for name, c in _spec(cls)
        }
    if isinstance(value, BaseException):
        return f"{cls.__name__}: {value}"
    try:
        converted = to_jsonable(value)
    except Exception:  # a log line never fails: show what cannot be encoded by its repr
        return repr(value)
    return _render(converted, depth)


_SPECS: dict[type, tuple[tuple[str, str | None], ...]] = {}


def _has_spec(value: Any, cls: type) -> bool:
    """Whether ``value`` (of type ``cls``) has declared fields :func:`_spec` reads: an attrs
    instance, a dataclass instance or a pydantic model."""
    return (
        attrs.has(cls)
        or (dataclasses.is_dataclass(value) and not isinstance(value, type))
        or _pydantic.is_model_type(cls)
    )


def _spec(cls: type) -> tuple[tuple[str, str | None], ...]:
    """(field name, masking classification or None) for an attrs class or dataclass, cached."""
    spec = _SPECS.get(cls)
    if spec is None:
        fields: Any = (
            _pydantic.fields(cls)  # Field(json_schema_extra={"classification": ...}) as metadata
            if _pydantic.is_model_type(cls)
            else attrs.fields(cls)
            if attrs.has(cls)
            else dataclasses.fields(cls)
        )
        items = []
        for f in fields:
            c = f.metadata.get("classification") if f.metadata else None
            if isinstance(c, InfoClassification):
                c = c.value
            items.append((f.name, c if c in _MASKED_NAMES else None))
        spec = _SPECS[cls] = tuple(items)
    if _masking_lifted():
        return tuple((name, None) for name, _ in spec)
    return spec


def _render_mapping(value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lifted = _masking_lifted()
    classification = value.get("classification") if "classification" in value else None
    if not lifted and classification in _MASKED_NAMES and ("msg" in value or "details" in value):
        # PyPwExt's error object ({"code", "msg", "classification", "details"}) of a classified error
        mask = _mask(classification)
        return {str(k): (mask if k in ("msg", "details") else _render(v, depth)) for k, v in value.items()}
    items: Iterable[tuple[Any, Any]] = value.items()
    more = len(value) - RENDER_ITEMS
    if more > 0:
        items = itertools.islice(items, RENDER_ITEMS)
    for key, item in items:
        name = (
            key if isinstance(key, str) else str(to_jsonable(key) if not isinstance(key, _SCALARS) else key)
        )
        if not lifted and is_credential_name(name):
            out[name] = _AUTH_MASK
        else:
            out[name] = _render(item, depth)
    if more > 0:
        out["..."] = f"{more} more keys"
    return out


def _render_request(request: Request, depth: int) -> dict[str, Any]:
    lifted = _masking_lifted()
    body: Any
    if request.source is EventSource.DIRECT:
        body = _render(request.raw_event, depth)
    elif not request.body:
        body = None
    else:
        try:
            body = _render(loads(request.body), depth)
        except ValueError:
            body = request.body.decode("utf-8", "replace")
    return {
        "source": request.source.value,
        "method": request.method,
        "path": request.path,
        "headers": _render_mapping(request.headers, depth),
        "query": _render_mapping(request.query, depth),
        "path_params": dict(request.path_params),
        "cookies": {k: (v if lifted else _AUTH_MASK) for k, v in request.cookies.items()},
        "body": body,
        "request_id": request.request_id,
    }


def _render_response(response: Response, depth: int) -> dict[str, Any]:
    lifted = _masking_lifted()
    # The body is left out: it is what execute returned (logged, redacted, at execute's exit),
    # possibly already turned into plain JSON that no longer carries its fields' classification.
    body = response.body
    out: dict[str, Any] = {
        "status": response.status,
        "body": None if body is None else f"<{type(body).__name__}>",
    }
    if response.headers:
        out["headers"] = _render_mapping(response.headers, depth)
    if response.multi_headers:
        out["multi_headers"] = _render_mapping(response.multi_headers, depth)
    if response.cookies:
        out["cookies"] = response.cookies if lifted else [_AUTH_MASK] * len(response.cookies)
    if response.errors:
        out["errors"] = [_render_error(e, depth) for e in response.errors]
    return out


def _render_error(error: ServiceError, depth: int) -> dict[str, Any]:
    masked = is_masked(error.classification)
    return {
        "code": error.code,
        "msg": _mask(error.classification) if masked else error.msg,
        "classification": error.classification.value,
        "details": _mask(error.classification) if masked else _render_mapping(error.details, depth),
    }


# --- masking by value: what the invocation received in classified fields ----------------------


def remember_input(value: Any, classification: InfoClassification) -> Any:
    """Note, for the rest of the invocation, the values of the structured input ``value`` that
    arrived in fields classified PII or AUTHORIZATION_INFO (every value, when ``classification``
    -- the service's -- is one of them), and those under credential-bearing keys: each is then
    masked wherever it appears in a log line of the invocation (see :mod:`pypwext.observability.logging._masking`).
    Returns ``value``."""
    secrets = _current_secrets()
    if secrets is None or _masking_lifted():
        return value
    if is_masked(classification):
        _remember_all(value, _mask(classification), secrets, 0)
    else:
        _remember_fields(value, secrets, 0)
    return value


def new_secrets(request: Request | None) -> Secrets:
    """The values masked by value in one invocation's lines, starting with those of the
    request's credential-bearing headers, query parameters and cookies."""
    secrets = Secrets()
    if request is None or request.source is EventSource.DIRECT or _masking_lifted():
        return secrets
    for name in request.headers:
        if not is_credential_name(name):
            continue
        cookies = name.lower() in _COOKIE_HEADERS  # (its parts are the cookies, below)
        for value in request.headers.get_all(name):
            _remember_credential(value, secrets, whole_only=cookies)
    if request.query:
        for name, values in request.multi_query.items() or request.query.items():
            if not is_credential_name(name):
                continue
            for value in [values] if isinstance(values, str) else values:
                _remember_credential(value, secrets)
    if request.cookies:
        for name, value in request.cookies.items():
            if not value:  # a cookie without "=": its text is the value
                secrets.add(name, _AUTH_MASK)
            elif len(value) >= _OPAQUE or is_credential_name(name):  # a session id, not "theme=dark"
                secrets.add(value, _AUTH_MASK)
    return secrets


_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
_OPAQUE = 16


def _remember_credential(value: str, secrets: Secrets, whole_only: bool = False) -> None:
    """A credential's value, and the parts after its scheme (``Bearer <token>``)."""
    secrets.add(value, _AUTH_MASK)
    words = value.split()
    if whole_only or len(words) < 2:
        return
    for word in words[1:] if words[0].isalpha() else words:
        secrets.add(word.rstrip(","), _AUTH_MASK)


def _remember_fields(value: Any, secrets: Secrets, depth: int) -> None:
    if isinstance(value, _SCALARS) or depth > _MAX_DEPTH or isinstance(value, Request):
        return
    depth += 1
    cls = type(value)
    if _has_spec(value, cls):
        for name, c in _spec(cls):
            item = getattr(value, name, None)
            if c is not None:
                _remember_all(item, _mask(c), secrets, depth)
            else:
                _remember_fields(item, secrets, depth)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and is_credential_name(key):
                _remember_all(item, _AUTH_MASK, secrets, depth)
            else:
                _remember_fields(item, secrets, depth)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _remember_fields(item, secrets, depth)


def _remember_all(value: Any, mask: str, secrets: Secrets, depth: int) -> None:
    """Every value inside ``value`` (a classified field), in the forms a line may show it."""
    if value is None or isinstance(value, bool) or depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        secrets.add(value, mask)
        return
    if isinstance(value, (int, float)):
        secrets.add(str(value), mask)
        return
    depth += 1
    if isinstance(value, Mapping):
        for item in value.values():  # (the keys are names, not the data)
            _remember_all(item, mask, secrets, depth)
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _remember_all(item, mask, secrets, depth)
        return
    cls = type(value)
    if _has_spec(value, cls):
        for name, _ in _spec(cls):
            _remember_all(getattr(value, name, None), mask, secrets, depth)
        return
    if isinstance(value, (bytes, bytearray)):
        secrets.add(bytes(value).decode("utf-8", "replace"), mask)
    secrets.add(str(value), mask)  # a Decimal, a date, a UUID: as str() and as the codec shows it
    try:
        shown = to_jsonable(value)
    except Exception:  # not encodable: its str() is what a line would show
        return
    _remember_all(shown, mask, secrets, depth)


TRACEBACK_FRAMES = 16
"""The innermost frames a logged traceback shows of each exception in the chain (the frames left
out are counted in a line of their own): what fails is at the innermost end, and a deep stack
would otherwise make each failure's line, and the cost of writing it, as long as the stack."""

TRACEBACK_CHAIN = 8
"""The exceptions of a chain (``raise ... from``, an error while handling another) a logged
traceback shows, newest first."""


def format_exception(exc: BaseException, masked: InfoClassification | None = None) -> str:
    """The traceback of ``exc`` (with its causes) as text, in the format of Python's
    ``traceback`` module without the column markers (``^^^``: finding them parses each frame's
    source line, most of the cost of a failure's log line), bounded by :data:`TRACEBACK_FRAMES`
    and :data:`TRACEBACK_CHAIN`; with ``masked`` set, every exception message in the chain is
    replaced by the mask (a message may quote the data that failed)."""
    import collections
    import traceback  # only when an error is logged: not on every cold start

    mask = _mask(masked) if masked is not None and is_masked(masked) else None
    chain: list[tuple[str, BaseException]] = []  # (how it joins the next one, exception), newest first
    seen: set[int] = set()
    current: BaseException | None = exc
    join = ""
    while current is not None and id(current) not in seen and len(chain) < TRACEBACK_CHAIN:
        seen.add(id(current))
        chain.append((join, current))
        if current.__cause__ is not None:
            join, current = _CAUSE, current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            join, current = _CONTEXT, current.__context__
        else:
            current = None
    parts: list[str] = []
    for index in range(len(chain) - 1, -1, -1):  # oldest first, as traceback prints them
        join, current = chain[index]
        tb = current.__traceback__
        if tb is not None:
            # the innermost frames, without column positions (so without markers); each source
            # line is read (from linecache) only when shown, with no stat() of its file
            frames: collections.deque[traceback.FrameSummary] = collections.deque(maxlen=TRACEBACK_FRAMES)
            depth = 0
            for frame, lineno in traceback.walk_tb(tb):
                depth += 1
                code = frame.f_code
                frames.append(
                    traceback.FrameSummary(code.co_filename, lineno, code.co_name, lookup_line=False)
                )
            parts.append("Traceback (most recent call last):\n")
            if depth > len(frames):
                parts.append(f"  ... {depth - len(frames)} outer frames not shown\n")
            parts.extend(traceback.StackSummary.from_list(list(frames)).format())
        parts.append(_exception_line(current, mask))
        if join:
            parts.append(join)
    return "".join(parts).rstrip()


def _exception_line(exc: BaseException, mask: str | None) -> str:
    """The last line of a traceback, as Python's ``traceback`` writes it (``module.Name:
    message``, then the exception's notes), with ``mask`` in place of the message and the
    notes when set. Built here rather than by ``traceback.format_exception_only``, which builds a
    whole ``TracebackException`` for it; a ``SyntaxError`` (whose line shows the code) still goes
    there."""
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        name = f"{cls.__module__}.{name}"
    if mask is not None:
        return f"{name}: {mask}\n"
    if isinstance(exc, SyntaxError):
        import traceback

        return "".join(traceback.format_exception_only(cls, exc))
    try:
        message = str(exc)
    except Exception:
        message = "<exception str() failed>"
    line = f"{name}: {message}\n" if message else f"{name}\n"
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, (list, tuple)):
        for note in notes:
            line += f"{note}\n" if isinstance(note, str) else "<note str() failed>\n"
    return line


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _innermost_location(exc: BaseException) -> str | None:
    """``function:line`` where ``exc`` (or, for a wrapper, its cause) was raised."""
    root = exc.__cause__ if exc.__cause__ is not None and exc.__traceback__ is None else exc
    tb = root.__traceback__ or exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_name}:{tb.tb_lineno}"


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of writing (Lambda's stdout, a test's
    capture, the CLI's redirection to stderr), not to the one there was when the logger was built."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# --- one line ---------------------------------------------------------------------------------

_LEVEL_NAMES = {
    _stdlib_logging.DEBUG: "DEBUG",
    VERBOSE: "VERBOSE",
    _stdlib_logging.INFO: "INFO",
    _stdlib_logging.WARNING: "WARNING",
    _stdlib_logging.ERROR: "ERROR",
    _stdlib_logging.CRITICAL: "CRITICAL",
}
_DEBUG = _stdlib_logging.DEBUG
_INFO = _stdlib_logging.INFO
_WARNING = _stdlib_logging.WARNING
_ERROR = _stdlib_logging.ERROR
_stamp_second = -1
_stamp = ("", "")
_MILLIS = tuple(f",{ms:03d}" for ms in range(1000))


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
    """One log line, as pypwext writes every entry: ``level``, ``location``, ``message``,
    ``timestamp``, the logger's keys (``service``, appended keys), the entry's fields, the
    record's ``extra`` fields, the invocation's fields (unless the entry set them), then
    ``exception`` and ``exception_name``. Powertools' default formatter writes the same names
    in the same order; this is the one place that builds them (see :mod:`pypwext.observability.logging._formatter`).
    Credential-bearing ``name=value`` pairs quoted in the text are masked, and so are the
    invocation's classified values, by value, in its message and fields (as :func:`_compose`).
    """
    entry: dict[str, Any] = {
        "level": level_name,
        "location": location,
        "message": message,
        "timestamp": timestamp(created),
    }
    entry.update(keys)
    if fields is not None:
        entry.update(fields)
    if extra:
        entry.update(extra)
    exception = None
    if exc_info and exc_info[0] is not None and "exception" not in entry:
        exception = {"exception": format_exception(exc_info[1]), "exception_name": exc_info[0].__name__}
    secrets = _current_secrets()
    if secrets is not None and secrets:
        _mask_entry(entry, secrets)
        if exception is not None:
            exception["exception"] = loads(secrets.mask(dumps_str(exception["exception"])))
    invocation = _INVOCATION_FIELDS.get()
    if invocation is not None:
        for key, value in invocation.items():
            if key not in entry:
                entry[key] = value
    if exception is not None:
        entry.update(exception)
    try:
        line = dumps(entry)
    except (TypeError, ValueError):  # a log line never fails: show what cannot be encoded by its repr
        line = dumps(_safe(entry, 0))
    return line if _masking_lifted() else mask_pairs(line, _AUTH_MASK)  # (a URL quoted with its ?api_key=...)


_FIXED = frozenset({"level", "location", "timestamp", "service", "classification", "type", "operation"})
"""The fields of a line that no invocation's data reaches: never masked by value."""


def _mask_entry(entry: dict[str, Any], secrets: Secrets) -> None:
    """Mask the values of ``secrets`` in the entry's message and fields (see :func:`_compose`)."""
    for key, value in entry.items():
        if key in _FIXED:
            continue
        try:
            text = dumps(value)
        except (TypeError, ValueError):
            text = dumps(_safe(value, 0))
        masked = secrets.mask(text)
        if masked is not text:
            entry[key] = loads(masked)


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


def _write_line(line: str) -> None:
    """Write one line to the current ``sys.stdout`` and flush it (Lambda may freeze the process
    as soon as the handler returns); a stdout that cannot take it never fails the invocation."""
    out = sys.stdout
    try:
        out.write(line + "\n")
        out.flush()
    except (OSError, ValueError):  # closed or broken stdout
        pass


_LAMBDA_LEVELS = {
    "TRACE": _stdlib_logging.NOTSET,
    "DEBUG": _stdlib_logging.DEBUG,
    "INFO": _stdlib_logging.INFO,
    "WARN": _stdlib_logging.WARNING,
    "ERROR": _stdlib_logging.ERROR,
    "FATAL": _stdlib_logging.CRITICAL,
}


def resolve_level() -> tuple[int, str | None]:
    """The level of service loggers, by Powertools' rules: Lambda's advanced logging controls
    (``AWS_LAMBDA_LOG_LEVEL``) win, then ``POWERTOOLS_LOG_LEVEL``, then ``LOG_LEVEL``, then INFO.

    Returns the level and what to warn about, if anything: a name that is no level (logged at
    INFO instead of failing every invocation), or a level more verbose than Lambda's, whose
    extra entries Lambda drops.
    """
    lambda_level = _LAMBDA_LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", ""))
    name = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or ""
    level: Any = _stdlib_logging.getLevelName(name.strip().upper()) if name.strip() else None
    warning = None
    if level is not None and not isinstance(level, int):
        warning = f"log level {name!r} is not a level (DEBUG, VERBOSE, INFO, WARNING, ERROR, CRITICAL); logging at INFO"
        level = None
    if lambda_level is not None:
        if level is not None and level < lambda_level:
            warning = (
                f"log level {name!r} is more verbose than Lambda's advanced logging controls "
                f"({os.environ['AWS_LAMBDA_LOG_LEVEL']}): Lambda drops the entries in between"
            )
        return lambda_level, warning
    return (level if level is not None else _stdlib_logging.INFO), warning


# --- per-invocation fields ----------------------------------------------------------------

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


_Labels = tuple[str, InfoClassification, LogEntryType]
"""An entry's operation, classification and log type."""


def _label_fields(labels: _Labels, more: dict[str, Any]) -> dict[str, Any]:
    """An entry's own fields: ``classification``, ``type`` and ``operation``, then ``more``."""
    operation, classification, log_type = labels
    return {"classification": classification.value, "type": log_type.value, "operation": operation, **more}


_PREFIXED = frozenset(
    {"level", "location", "message", "timestamp", "service", "classification", "type", "operation"}
)
_fragment: tuple[dict[str, Any] | None, str] = (None, "")


def _compose(
    parts: tuple[str, str, str], message: Any, created: float, members: str, invocation: dict[str, Any] | None
) -> str:
    """One line: ``parts`` (the level, location, service and labels, encoded once per logger),
    the message, the timestamp, the entry's own fields already encoded (``members``), and the
    invocation's fields (encoded once per invocation). The same fields, in the same order, as
    :func:`format_line`. The message and the entry's fields -- where an invocation's data can
    go -- have the invocation's classified values masked by value, as in :func:`format_line`."""
    encoded = dumps_str(message) if type(message) is str else dumps(message)
    if not _masking_lifted():  # a URL quoted with its ?api_key=...
        encoded = mask_pairs(encoded, _AUTH_MASK)
        if members:
            members = mask_pairs(members, _AUTH_MASK)
    secrets = _current_secrets()
    if secrets is not None and secrets:  # the invocation's classified values, masked by value
        encoded = secrets.mask(encoded)
        members = secrets.mask(members)
    line = parts[0] + encoded + ',"timestamp":"' + timestamp(created) + parts[1]
    if members:
        line += "," + members
    if invocation:
        line += "," + _invocation_fragment(invocation)
    return line + "}"


def _invocation_fragment(fields: dict[str, Any]) -> str:
    """The invocation's fields encoded as the inside of a JSON object, once per invocation."""
    global _fragment
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


# --- the logger -----------------------------------------------------------------------------


class ServiceLogger:
    """The logger of one service class (``self.logger``).

    ``self.logger.info("paid", extra={"order_id": 7})`` writes an entry with the service's
    ``operation``, ``classification`` and ``type``; the extra values are redacted by the entry's
    classification (the service's unless the call names one: ``classification=...``), so a PII
    service that logs an order id says ``classification=InfoClassification.NA`` to show it.
    The lifecycle and ``@step`` entries are written through :meth:`entry`, :meth:`exit`,
    :meth:`failure` and :meth:`summary`.
    """

    def __init__(
        self,
        service: str,
        operation: str | None = None,
        classification: InfoClassification = InfoClassification.NA,
        log_type: LogEntryType = LogEntryType.STD,
        location: str | None = None,
    ) -> None:
        self.service = service
        self.operation = operation or service
        self.classification = classification
        self.log_type = log_type
        self.location = location or service
        self._keys = {"service": service}
        # per (level, location, labels): the line up to the message, the part from the end of
        # the timestamp up to the entry's own fields, the level's name (see _compose)
        self._parts: dict[tuple[int, str, _Labels], tuple[str, str, str]] = {}
        self._logger: Logger | None = None
        self._std: _stdlib_logging.Logger | None = None
        self._level: int | None = None  # resolved on first use, while Powertools is not underneath
        self._level_set = False  # by setLevel, before Powertools was built

    # --- where entries go ---------------------------------------------------------------

    @property
    def powertools(self) -> Logger:
        """The Powertools ``Logger`` underneath, built the first time something asks for it.

        Until then pypwext writes each entry itself: the very line this Logger writes with
        :class:`~pypwext.observability.logging._formatter.ServiceFormatter` (:func:`format_line` builds both), straight
        to stdout, without the ``logging`` module's per-record work and without importing
        Powertools on a cold start. Once built (to add a handler, a filter or appended keys,
        or because ``POWERTOOLS_LOGGER_SAMPLE_RATE`` is set), every entry goes through it.
        """
        if self._logger is None:
            from aws_lambda_powertools import Logger

            from pypwext.observability.logging._formatter import ServiceFormatter

            logger = Logger(
                service=self.service,
                stream=cast("IO[str]", _CurrentStdout()),
                logger_formatter=ServiceFormatter(),
            )
            if self._level_set and self._level is not None:
                logger.setLevel(self._level)
            self._logger = logger
            self._std = logger._logger
            if self._level is None:  # not started on the direct path: say what _start would have
                self._warn_masking()
        return self._logger

    def _start(self) -> int:
        """First use without Powertools: resolve the level and write the start-up warnings."""
        level, warning = resolve_level()
        self._level = level
        if os.environ.get("POWERTOOLS_LOGGER_SAMPLE_RATE", "").strip():
            self.powertools  # noqa: B018  (debug sampling is Powertools' own: go through it)
        if warning is not None:
            self._warn(warning)
        self._warn_masking()
        return level

    def _warn_masking(self) -> None:
        if _masking_lifted():
            self._warn(f"log masking is lifted by {UNMASK_ENV}: PII and credentials are written in clear")

    def _warn(self, message: str) -> None:
        """A WARNING about the logger's own set-up, written whatever the level."""
        labels = (self.operation, InfoClassification.NA, LogEntryType.STD)
        self._emit(_stdlib_logging.WARNING, message, labels, {}, self.location)

    def is_enabled(self, level: int) -> bool:
        """Whether an entry at ``level`` would be written (check before building its arguments)."""
        std = self._std
        if std is not None:
            return std.isEnabledFor(level)
        own = self._level
        if own is None:
            own = self._start()
            if self._std is not None:
                return self._std.isEnabledFor(level)
        return level >= own

    def setLevel(self, level: int | str) -> None:
        """Change the level of this service's logger (``logging.DEBUG``, ``"DEBUG"``, ``VERBOSE``)."""
        if self._logger is not None:
            self._logger.setLevel(level)
            return
        number = _stdlib_logging.getLevelName(level.upper()) if isinstance(level, str) else level
        if not isinstance(number, int):
            raise ValueError(f"unknown log level {level!r}")
        if self._level is None:
            self._start()
            if self._logger is not None:
                self._logger.setLevel(number)
                return
        self._level = number
        self._level_set = True

    def _emit(
        self,
        level: int,
        msg: Any,
        labels: _Labels,
        more: dict[str, Any],
        location: str,
        exc_info: Any = None,
    ) -> None:
        """Write one entry whose location is known: ``labels`` are its operation,
        classification and type, ``more`` its other fields."""
        std = self._std
        if std is None and self._level is None:
            self._start()
            std = self._std
        if std is None:
            self._write_direct(level, message_value(msg), labels, more, location, exc_info)
            return
        record = std.makeRecord(std.name, level, "", 0, msg, (), exc_info)
        record.pypwext = _label_fields(labels, more)
        record.location = location
        std.handle(record)

    def _write_direct(
        self,
        level: int,
        message: Any,
        labels: _Labels,
        more: dict[str, Any],
        location: str,
        exc_info: Any,
    ) -> None:
        """Write the line :func:`format_line` would, with the parts that repeat from line to line
        -- level, location, the service and labels, the invocation's fields -- encoded once,
        not per line."""
        created = time.time()
        parts = self._parts.get((level, location, labels)) or self._new_parts(level, location, labels)
        invocation = _INVOCATION_FIELDS.get()
        clash = bool(more) and (
            not _PREFIXED.isdisjoint(more)
            or (invocation is not None and not invocation.keys().isdisjoint(more))
        )
        if not clash:
            try:
                members = dumps(more)[1:-1] if more else ""
                if exc_info and exc_info[0] is not None and "exception" not in more:
                    exception = {
                        "exception": format_exception(exc_info[1]),
                        "exception_name": exc_info[0].__name__,
                    }
                    members += ("," if members else "") + dumps(exception)[1:-1]
                line = _compose(parts, message, created, members, invocation)
            except (TypeError, ValueError):  # format_line shows what cannot be encoded by its repr
                pass
            else:
                _write_line(line)
                return
        fields = _label_fields(labels, more)
        _write_line(format_line(parts[2], location, message, created, self._keys, fields, None, exc_info))

    def _new_parts(self, level: int, location: str, labels: _Labels) -> tuple[str, str, str]:
        """The parts of a line that depend only on its level, location and labels (see
        :func:`_compose`), encoded once per logger."""
        name = _LEVEL_NAMES.get(level) or _stdlib_logging.getLevelName(level)
        parts = self._parts[(level, location, labels)] = (
            dumps({"level": name, "location": location})[:-1] + ',"message":',
            '",' + dumps({**self._keys, **_label_fields(labels, {})})[1:-1],
            name,
        )
        return parts

    def _write_summary(self, labels: _Labels, message: str, members: str) -> bool:
        """For ``BaseService``'s summary, not a user's API: write the INFO summary line whose own
        fields are already encoded. ``members`` is the inside of a JSON object, as ``dumps(fields)[1:-1]`` would give. The caller has checked
        the level. Returns ``False``, having written nothing, when Powertools is underneath,
        whose handlers and filters need the fields as a dict: call :meth:`summary` then."""
        if self._std is None and self._level is None:
            self._start()
        if self._std is not None:
            return False
        location = self.location
        parts = self._parts.get((_INFO, location, labels)) or self._new_parts(_INFO, location, labels)
        _write_line(_compose(parts, message, time.time(), members, _INVOCATION_FIELDS.get()))
        return True

    # --- injected entries ----------------------------------------------------------------

    def entry(
        self,
        operation: str,
        method: str,
        args: Any,
        classification: InfoClassification,
        log_type: LogEntryType = LogEntryType.STD,
        location: str | None = None,
    ) -> None:
        """Log the entry of a lifecycle method or step at DEBUG: the message is PyPwExt's
        ``{"msg": ..., "args": ...}``."""
        if not self.is_enabled(_stdlib_logging.DEBUG):
            return
        self._emit(
            _stdlib_logging.DEBUG,
            {"msg": f"enter {method}", "args": redact(args, classification)},
            (operation, classification, log_type),
            {},
            location or method,
        )

    def exit(
        self,
        operation: str,
        method: str,
        result: Any,
        classification: InfoClassification,
        log_type: LogEntryType = LogEntryType.STD,
        level: int = _stdlib_logging.DEBUG,
        location: str | None = None,
    ) -> None:
        """Log the exit of a lifecycle method or step: the message is ``{"msg": ..., "return": ...}``."""
        if not self.is_enabled(level):
            return
        self._emit(
            level,
            {"msg": f"exit {method}", "return": redact(result, classification)},
            (operation, classification, log_type),
            {},
            location or method,
        )

    def failure(
        self,
        operation: str,
        message: str,
        exc: BaseException,
        classification: InfoClassification,
        log_type: LogEntryType = LogEntryType.STD,
        *,
        with_traceback: bool = True,
        **fields: Any,
    ) -> None:
        """Log an error that escaped, once, with its traceback (ERROR). Exception messages are
        masked when the service or the error is classified PII/AUTHORIZATION_INFO.

        ``with_traceback=False`` logs only the error's type and message (an expected failure, or
        one already logged with its traceback); ``fields`` say which item failed (``record_id``)."""
        if not self.is_enabled(_stdlib_logging.ERROR):
            return
        masked = classification if is_masked(classification) else None
        if masked is None and isinstance(exc, ServiceError) and is_masked(exc.classification):
            masked = exc.classification
        if masked is not None:
            message = _mask(masked)
        if with_traceback:
            described = format_exception(exc, masked)
        else:
            described = f"{type(exc).__name__}: {_mask(masked) if masked is not None else exc}"
        if isinstance(exc, ServiceError):
            fields.setdefault("code", exc.code)
        self._emit(
            _stdlib_logging.ERROR,
            message,
            (operation, classification, log_type),
            {"exception": described, "exception_name": type(exc).__name__, **fields},
            _innermost_location(exc) or self.location,
        )

    def summary(
        self,
        operation: str,
        classification: InfoClassification,
        log_type: LogEntryType,
        message: str = "invocation",
        **fields: Any,
    ) -> None:
        """The one INFO line per invocation that sums it up. For an AUDIT service it is the
        audit entry (``type: AUDIT``) and is written whatever the level."""
        if log_type is not LogEntryType.AUDIT and not self.is_enabled(_stdlib_logging.INFO):
            return
        self._emit(
            _stdlib_logging.INFO,
            message,
            (operation, classification, log_type),
            fields,
            self.location,
        )

    def call(
        self, level: int, message: str, facts: Mapping[str, Any], text: Mapping[str, Any] | None = None
    ) -> None:
        """A line about a call to a dependency, under the service's classification: ``facts``
        (the dependency's name, method, URL template, status, attempt, duration: what the
        calling code knows carries no data) are shown as they are, ``text`` (a reason, an error
        message: what may quote data) is redacted by the service's classification, and the
        invocation's classified values are masked by value in both, like in every line."""
        if not self.is_enabled(level):
            return
        more = dict(facts)
        if text:
            more.update((key, redact(value, self.classification)) for key, value in text.items())
        self._emit(level, message, (self.operation, self.classification, self.log_type), more, self.location)

    # --- the user's entries ----------------------------------------------------------------

    def log(self, level: Any = None, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write an entry at ``level``.

        Keyword arguments: ``classification``, ``log_type`` and ``operation`` override the
        service's for this entry; ``extra`` (a mapping) and any other keyword become top-level
        fields, redacted by the entry's classification, as is a dict ``msg``; ``exc_info``
        adds the traceback; ``stacklevel`` counts frames above the caller for the location.
        A keyword that is not what the logger's own parameter takes (``exc_info=5``,
        ``extra=[1]``, ``classification="x"``), or names a field of the line itself
        (``level``, ``message``, ``type``...), is written as a field, renamed with a trailing
        ``_`` when it would replace the line's own (``level_``); a logging call never fails the
        invocation. The location is the caller's.
        """
        if not isinstance(level, int) or isinstance(level, bool):
            kwargs.setdefault("level", level)
            level = _stdlib_logging.INFO
        if msg is None and "msg" in kwargs:
            msg = kwargs.pop("msg")
        self._write(level, msg, args, kwargs)

    def _write(self, level: int, msg: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self.is_enabled(level):
            return
        stacklevel = kwargs.pop("stacklevel", 1)
        if type(stacklevel) is not int or stacklevel < 1:
            kwargs["stacklevel_"], stacklevel = stacklevel, 1
        classification = kwargs.pop("classification", None)
        if classification is not None and not isinstance(classification, InfoClassification):
            try:
                classification = InfoClassification(classification)
            except (ValueError, TypeError):
                kwargs["classification_"], classification = classification, None
        log_type = kwargs.pop("log_type", None)
        if log_type is not None and not isinstance(log_type, LogEntryType):
            try:
                log_type = LogEntryType(log_type)
            except (ValueError, TypeError):
                kwargs["log_type_"], log_type = log_type, None
        operation = kwargs.pop("operation", None)
        if operation is not None and not isinstance(operation, str):
            kwargs["operation_"], operation = operation, None
        extra = kwargs.pop("extra", None)
        if extra is not None and not isinstance(extra, Mapping):
            kwargs["extra_"], extra = extra, None
        exc_info = kwargs.pop("exc_info", None)
        if exc_info is True:
            exc_info = sys.exc_info()
        elif isinstance(exc_info, BaseException):
            exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
        elif exc_info and not (
            isinstance(exc_info, tuple)
            and len(exc_info) == 3
            and (exc_info[1] is None or isinstance(exc_info[1], BaseException))
        ):
            kwargs["exc_info_"], exc_info = exc_info, None
        cls = classification if classification is not None else self.classification
        labels = (operation or self.operation, cls, log_type or self.log_type)
        more: dict[str, Any] = {}
        for fields in (extra, kwargs):
            if fields:
                for key, value in fields.items():
                    name = str(key)
                    more[name + "_" if name in _PREFIXED else name] = redact(value, cls)
        if isinstance(msg, dict):
            msg = redact(msg, cls)
        if exc_info and exc_info[1] is not None and is_masked(cls):
            exception = exc_info[1]
            more["exception"] = format_exception(exception, cls)
            more["exception_name"] = type(exception).__name__
            exc_info = None
        std = self._std
        if std is None:
            try:  # frames: _write (0), the public method (1), its caller (stacklevel + 1)
                caller = sys._getframe(stacklevel + 1)
                location = f"{caller.f_code.co_name}:{caller.f_lineno}"
            except ValueError:
                location = self.location
            self._write_direct(level, message_value(msg, args), labels, more, location, exc_info)
            return
        if args:  # formatted here, as the direct way does: a call whose arguments do not fit never fails
            msg, args = message_value(msg, args), ()
        # frames above logging's own: _write (1), the public method (2), its caller (3); Python
        # 3.10's findCaller counts one frame more than 3.11's (bpo-45171)
        std._log(
            level,
            msg,
            args,
            exc_info=exc_info,
            extra={"pypwext": _label_fields(labels, more)},
            stacklevel=stacklevel + _STACK_OFFSET,
        )

    def debug(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a DEBUG entry (see :meth:`log`)."""
        self._write(_DEBUG, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def verbose(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a VERBOSE entry (level 15, see :data:`VERBOSE`)."""
        self._write(VERBOSE, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def info(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write an INFO entry (see :meth:`log`)."""
        self._write(_INFO, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def warning(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a WARNING entry (see :meth:`log`)."""
        self._write(_WARNING, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def error(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write an ERROR entry (see :meth:`log`)."""
        self._write(_ERROR, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def exception(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write an ERROR entry with the exception being handled and its traceback."""
        kwargs.setdefault("exc_info", True)
        self._write(_ERROR, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def critical(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a CRITICAL entry (see :meth:`log`)."""
        self._write(_stdlib_logging.CRITICAL, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def __repr__(self) -> str:
        return f"ServiceLogger({self.service!r})"


_STACK_OFFSET = 2 if sys.version_info >= (3, 11) else 1

_CURRENT: ContextVar[ServiceLogger | None] = ContextVar("pypwext_logger", default=None)


def current_logger() -> ServiceLogger | None:
    """The logger of the service whose invocation runs in this context, if any."""
    return _CURRENT.get()


# Make a logger the current one (returns a token), and undo that: the context variable's own
# methods, not functions around them, because they run on every invocation.
set_current_logger = _CURRENT.set
reset_current_logger = _CURRENT.reset
