"""The logger of one service class, ``self.logger`` (:class:`ServiceLogger`): what it writes --
the entries of the lifecycle and ``@step`` methods, the user's own entries (their keywords
read, their values redacted by their classification) and the dependencies' call lines -- and
the logger of the invocation running in this context (:func:`current_logger`). Where the
entries go is :class:`~pypwext.observability.logging._writer.EntryWriter`'s.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from pypwext.base import InfoClassification, LogEntryType
from pypwext.errors import ServiceError
from pypwext.observability.logging._encoder import PREFIXED, label_fields, message_value
from pypwext.observability.logging._levels import CRITICAL, DEBUG, ERROR, INFO, VERBOSE, WARNING
from pypwext.observability.logging._redaction import _mask, is_masked, redact
from pypwext.observability.logging._traceback import format_exception, innermost_location
from pypwext.observability.logging._writer import EntryWriter

__all__ = ["ServiceLogger", "current_logger", "reset_current_logger", "set_current_logger"]


class ServiceLogger(EntryWriter):
    """The logger of one service class (``self.logger``).

    ``self.logger.info("paid", extra={"order_id": 7})`` writes an entry with the service's
    ``operation``, ``classification`` and ``type``; the extra values are redacted by the entry's
    classification (the service's unless the call names one: ``classification=...``), so a PII
    service that logs an order id says ``classification=InfoClassification.NA`` to show it.
    The lifecycle and ``@step`` entries are written through :meth:`entry`, :meth:`exit`,
    :meth:`failure` and :meth:`summary`.
    """

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
        if not self.is_enabled(DEBUG):
            return
        self._emit(
            DEBUG,
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
        level: int = DEBUG,
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
        if not self.is_enabled(ERROR):
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
            ERROR,
            message,
            (operation, classification, log_type),
            {"exception": described, "exception_name": type(exc).__name__, **fields},
            innermost_location(exc) or self.location,
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
        if log_type is not LogEntryType.AUDIT and not self.is_enabled(INFO):
            return
        self._emit(
            INFO,
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
            level = INFO
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
                    more[name + "_" if name in PREFIXED else name] = redact(value, cls)
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
            extra={"pypwext": label_fields(labels, more)},
            stacklevel=stacklevel + _STACK_OFFSET,
        )

    def debug(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a DEBUG entry (see :meth:`log`)."""
        self._write(DEBUG, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def verbose(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a VERBOSE entry (level 15, see :data:`VERBOSE`)."""
        self._write(VERBOSE, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def info(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write an INFO entry (see :meth:`log`)."""
        self._write(INFO, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def warning(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a WARNING entry (see :meth:`log`)."""
        self._write(WARNING, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def error(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write an ERROR entry (see :meth:`log`)."""
        self._write(ERROR, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def exception(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write an ERROR entry with the exception being handled and its traceback."""
        kwargs.setdefault("exc_info", True)
        self._write(ERROR, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

    def critical(self, msg: Any = None, /, *args: Any, **kwargs: Any) -> None:
        """Write a CRITICAL entry (see :meth:`log`)."""
        self._write(CRITICAL, kwargs.pop("msg", None) if msg is None else msg, args, kwargs)

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
