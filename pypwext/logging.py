"""The structured logger of pypwext services, built on Powertools' ``Logger``.

Every entry carries PyPwExt's fields (``service``, ``classification``, ``type``, ``operation``)
beside Powertools' own (``level``, ``timestamp``, ``message``, ``location``). Values of methods
classified ``PII`` or ``AUTHORIZATION_INFO`` are masked before they reach a log line.

The Powertools logger is built the first time a service logs, not at import.
"""

from __future__ import annotations

import logging as _stdlib_logging
import os
import sys
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, Any, cast

from pypwext.base import InfoClassification, LogEntryType
from pypwext.codec import to_jsonable, unstructure

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

__all__ = ["MASK", "ServiceLogger", "current_logger", "redact"]

MASK = "*** redacted ({classification}) ***"
"""What a masked value looks like in a log line."""

_MASKED = frozenset({InfoClassification.PII, InfoClassification.AUTHORIZATION_INFO})


def redact(value: Any, classification: InfoClassification) -> Any:
    """``value`` as it may appear in a log line: masked when its classification forbids clear text.

    >>> redact({"ssn": "19120102-01921"}, InfoClassification.PII)
    '*** redacted (PII) ***'
    >>> redact(3, InfoClassification.NA)
    3
    """
    if classification in _MASKED:
        return MASK.format(classification=classification.value)
    try:
        return unstructure(value)
    except Exception:  # a value the converter cannot render is logged by its repr
        return repr(value)


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of writing (Lambda's stdout, a test's
    capture, the CLI's redirection to stderr), not to the one there was when the logger was built."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _log_default(value: Any) -> Any:
    try:
        return to_jsonable(value)
    except Exception:  # a log line must never fail: fall back to the repr
        return repr(value)


class ServiceLogger:
    """The logger of one service class (``self.logger``).

    Use it as a Powertools logger (``self.logger.info("paid", extra={...})``); the lifecycle and
    ``@step`` entries are written through :meth:`entry`, :meth:`exit` and :meth:`failure`.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self._logger: Logger | None = None

    @property
    def powertools(self) -> Logger:
        """The underlying Powertools ``Logger``, built on first use."""
        if self._logger is None:
            from aws_lambda_powertools import Logger

            level = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
            self._logger = Logger(
                service=self.service,
                level=level.upper(),
                stream=cast("IO[str]", _CurrentStdout()),
                json_default=_log_default,
            )
        return self._logger

    def is_enabled(self, level: int) -> bool:
        """Whether an entry at ``level`` would be written (check before building its arguments)."""
        return bool(self.powertools._logger.isEnabledFor(level))

    def entry(
        self,
        operation: str,
        method: str,
        args: Any,
        classification: InfoClassification,
        log_type: LogEntryType = LogEntryType.STD,
    ) -> None:
        """Log the entry of a lifecycle method or step at DEBUG: the message is PyPwExt's
        ``{"msg": ..., "args": ...}``."""
        if not self.is_enabled(_stdlib_logging.DEBUG):
            return
        self.powertools.debug(
            {"msg": f"enter {method}", "args": redact(args, classification)},
            extra=self._fields(operation, classification, log_type),
            stacklevel=3,
        )

    def exit(
        self,
        operation: str,
        method: str,
        result: Any,
        classification: InfoClassification,
        log_type: LogEntryType = LogEntryType.STD,
        level: int = _stdlib_logging.DEBUG,
    ) -> None:
        """Log the exit of a lifecycle method or step: the message is ``{"msg": ..., "return": ...}``."""
        if not self.is_enabled(level):
            return
        self.powertools._logger.log(
            level,
            {"msg": f"exit {method}", "return": redact(result, classification)},
            extra=self._fields(operation, classification, log_type),
            stacklevel=3,
        )

    def failure(
        self,
        operation: str,
        message: str,
        exc: BaseException,
        classification: InfoClassification,
        log_type: LogEntryType = LogEntryType.STD,
    ) -> None:
        """Log an error that escaped, once, with its traceback."""
        self.powertools.error(
            message,
            exc_info=exc,
            extra=self._fields(operation, classification, log_type),
            stacklevel=3,
        )

    def summary(
        self,
        operation: str,
        classification: InfoClassification,
        log_type: LogEntryType,
        **fields: Any,
    ) -> None:
        """The one INFO line per invocation that sums it up."""
        if not self.is_enabled(_stdlib_logging.INFO):
            return
        self.powertools.info(
            "invocation",
            extra=self._fields(operation, classification, log_type, **fields),
            stacklevel=3,
        )

    def _fields(
        self, operation: str, classification: InfoClassification, log_type: LogEntryType, **more: Any
    ) -> dict[str, Any]:
        return {
            "operation": operation,
            "classification": classification.value,
            "type": log_type.value,
            **more,
        }


_CURRENT: ContextVar[ServiceLogger | None] = ContextVar("pypwext_logger", default=None)


def current_logger() -> ServiceLogger | None:
    """The logger of the service whose invocation runs in this context, if any."""
    return _CURRENT.get()


def set_current_logger(logger: ServiceLogger | None) -> Any:
    """Make ``logger`` the current one; returns a token for :func:`reset_current_logger`."""
    return _CURRENT.set(logger)


def reset_current_logger(token: Any) -> None:
    """Undo :func:`set_current_logger`."""
    _CURRENT.reset(token)
