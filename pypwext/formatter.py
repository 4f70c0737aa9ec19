"""The log formatter of pypwext services: Powertools' fields, written faster.

:class:`ServiceFormatter` is a Powertools ``BasePowertoolsFormatter``, so a Powertools ``Logger``
takes it as ``logger_formatter`` and ``append_keys``/``remove_keys`` work as usual. It writes the
fields Powertools' default ``LambdaPowertoolsFormatter`` writes, in its order (``level``,
``location``, ``message``, ``timestamp``, ``service``, the appended keys, the record's extra
fields, ``exception``, ``exception_name``, ``xray_trace_id``) and the same timestamp format
(``2024-05-01 12:00:00,123+0000``), without what makes the default slow per line: copying and
scanning every record attribute, a ``strftime`` per line, trying to JSON-decode every string
message, a ``getenv`` per line. The entry is encoded once by :func:`pypwext.codec.dumps`.

It leaves out the default's ``stack_trace`` (a structured copy of ``exception``) and its
``sampling_rate``; pypwext's invocation fields (``cold_start``, ``function_*``,
``correlation_id``, ``xray_trace_id``) come from the invocation, set once per call.

This module imports Powertools; :mod:`pypwext.logging` imports it when the first service logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter

from pypwext.codec import dumps, to_jsonable
from pypwext.logging import _INVOCATION_FIELDS

__all__ = ["ServiceFormatter"]

# The attributes every LogRecord has; anything else on a record is an ``extra`` field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__)
_RECORD_ATTRS = _STANDARD | {"message", "asctime", "pypwext", "location"}
_N_STANDARD = len(_STANDARD)


class ServiceFormatter(BasePowertoolsFormatter):
    """A Powertools formatter that writes PyPwExt's fields in one pass and one encoding.

    >>> import logging
    >>> formatter = ServiceFormatter(service="orders")
    >>> record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "funcName": "f", "lineno": 3})
    >>> formatter.format(record).startswith('{"level":"INFO","location":"f:3","message":"hello","timestamp":')
    True
    """

    def __init__(self, service: str | None = None, **keys: Any) -> None:
        super().__init__()
        self._keys: dict[str, Any] = {}
        if service is not None:
            self._keys["service"] = service
        self._keys.update(keys)
        self._initial = dict(self._keys)
        self._second = -1
        self._stamp = ("", "")

    # --- Powertools' formatter interface ------------------------------------------------

    def append_keys(self, **additional_keys: Any) -> None:
        """Add fields to every following entry (Powertools' ``Logger.append_keys``); a key set
        to ``None`` is left out, as Powertools does."""
        for key, value in additional_keys.items():
            if value is None:
                self._keys.pop(key, None)
            else:
                self._keys[key] = value

    def get_current_keys(self) -> dict[str, Any]:
        return self._keys

    def remove_keys(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._keys.pop(key, None)

    def clear_state(self) -> None:
        service = self._keys.get("service")
        self._keys = dict(self._initial)
        if service is not None:
            self._keys.setdefault("service", service)

    def thread_safe_append_keys(self, **additional_keys: Any) -> None:
        self.append_keys(**additional_keys)

    def thread_safe_get_current_keys(self) -> dict[str, Any]:
        return self._keys

    def thread_safe_remove_keys(self, keys: Iterable[str]) -> None:
        self.remove_keys(keys)

    def thread_safe_clear_keys(self) -> None:
        self.clear_state()

    # --- formatting -------------------------------------------------------------------------

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """``2024-05-01 12:00:00,123+0000`` (Powertools' default format, local time), with the
        part up to the second computed once per second."""
        second = int(record.created)
        if second != self._second:
            struct = time.localtime(second)
            self._stamp = (time.strftime("%Y-%m-%d %H:%M:%S", struct), time.strftime("%z", struct))
            self._second = second
        day_time, zone = self._stamp
        return f"{day_time},{int(record.msecs):03d}{zone}"

    def format(self, record: logging.LogRecord) -> str:
        attrs = record.__dict__
        msg: Any = record.msg
        if record.args:
            msg = record.getMessage()
        elif not isinstance(msg, (str, dict, list)):
            msg = str(msg) if not isinstance(msg, (int, float, bool)) else msg
        entry: dict[str, Any] = {
            "level": record.levelname,
            "location": attrs.get("location") or f"{record.funcName}:{record.lineno}",
            "message": msg,
            "timestamp": self.formatTime(record),
        }
        entry.update(self._keys)
        fields = attrs.get("pypwext")
        if fields is not None:
            entry.update(fields)
        known = _N_STANDARD + (fields is not None) + ("location" in attrs)
        if len(attrs) > known:  # only then are there extra fields from a plain logging call
            for key, value in attrs.items():
                if key not in _RECORD_ATTRS:
                    entry[key] = value
        invocation = _INVOCATION_FIELDS.get()
        if invocation is not None:
            for key, value in invocation.items():
                entry.setdefault(key, value)
        exc_info = record.exc_info
        if exc_info and exc_info[0] is not None and "exception" not in entry:
            entry["exception"] = self.formatException(exc_info)
            entry["exception_name"] = exc_info[0].__name__
        try:
            return dumps(entry)
        except (TypeError, ValueError):  # a log line never fails: show what cannot be encoded by its repr
            return dumps(_safe(entry, 0))


def _safe(value: Any, depth: int) -> Any:
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if depth > 24:
        return "..."
    if isinstance(value, dict):
        return {str(k): _safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v, depth + 1) for v in value]
    try:
        return _safe(to_jsonable(value), depth + 1)
    except Exception:
        return repr(value)
