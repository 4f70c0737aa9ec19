"""The log formatter of pypwext services: Powertools' fields, written faster.

:class:`ServiceFormatter` is a Powertools ``BasePowertoolsFormatter``, so a Powertools ``Logger``
takes it as ``logger_formatter`` and ``append_keys``/``remove_keys`` work as usual. It writes the
fields Powertools' default ``LambdaPowertoolsFormatter`` writes, in its order (``level``,
``location``, ``message``, ``timestamp``, ``service``, the appended keys, the record's extra
fields, ``exception``, ``exception_name``, ``xray_trace_id``) and the same timestamp format
(``2024-05-01 12:00:00,123+0000``), without what makes the default slow per line: copying and
scanning every record attribute, a ``strftime`` per line, trying to JSON-decode every string
message, a ``getenv`` per line. The line is built by
:func:`pypwext.observability.logging._encoder.format_line`, which hands it to the one encoder
(:func:`~pypwext.observability.logging._encoder.encode`) that also writes the entries of a
service logger without a Powertools logger underneath: both ways give the same bytes.

It leaves out the default's ``stack_trace`` (a structured copy of ``exception``) and its
``sampling_rate``; pypwext's invocation fields (``cold_start``, ``function_*``,
``correlation_id``, ``xray_trace_id``) come from the invocation, set once per call.

This module imports Powertools; a service logger imports it only when its Powertools logger is
asked for (``self.logger.powertools``). It imports the encoder, never the package's face.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter

from pypwext.observability.logging._encoder import format_line, message_value, timestamp

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
        self._local: ContextVar[dict[str, Any] | None] = ContextVar(f"pypwext_keys_{id(self)}", default=None)

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

    # The thread-safe keys belong to the context that set them (a thread, a task): another
    # thread's entries never see them, as with Powertools' own formatter, and they come after
    # the shared keys. Each change sets a new dict: a copied context keeps what it had.

    def thread_safe_append_keys(self, **additional_keys: Any) -> None:
        """Add fields to the following entries of this thread (context) only."""
        keys = dict(self._local.get() or {})
        for key, value in additional_keys.items():
            if value is None:
                keys.pop(key, None)
            else:
                keys[key] = value
        self._local.set(keys)

    def thread_safe_get_current_keys(self) -> dict[str, Any]:
        return dict(self._local.get() or {})

    def thread_safe_remove_keys(self, keys: Iterable[str]) -> None:
        current = self._local.get()
        if current:
            gone = set(keys)
            self._local.set({k: v for k, v in current.items() if k not in gone})

    def thread_safe_clear_keys(self) -> None:
        self._local.set(None)

    # --- formatting -------------------------------------------------------------------------

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """``2024-05-01 12:00:00,123+0000`` (Powertools' default format, local time)."""
        return timestamp(record.created)

    def format(self, record: logging.LogRecord) -> str:
        attrs = record.__dict__
        fields = attrs.get("pypwext")
        extra = None
        known = _N_STANDARD + (fields is not None) + ("location" in attrs)
        if len(attrs) > known:  # only then are there extra fields from a plain logging call
            extra = {key: value for key, value in attrs.items() if key not in _RECORD_ATTRS}
        local = self._local.get()
        return format_line(
            record.levelname,
            attrs.get("location") or f"{record.funcName}:{record.lineno}",
            message_value(record.msg, record.args),
            record.created,
            {**self._keys, **local} if local else self._keys,
            fields,
            extra,
            record.exc_info,
        )
