"""Where a service logger's entries go (:class:`EntryWriter`, the base of
:class:`~pypwext.observability.logging._logger.ServiceLogger`): straight to stdout, each line
built by the one encoder (:func:`~pypwext.observability.logging._encoder.encode`) with what
repeats encoded once per logger, or, once something asks for it, through the Powertools
``Logger`` underneath, formatted by
:class:`~pypwext.observability.logging._formatter.ServiceFormatter` with the same encoder; and
the logger's level.

The Powertools logger (and Powertools itself) is imported the first time something asks for
it, not on a cold start.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, TYPE_CHECKING, Any, cast

from pypwext.base import InfoClassification, LogEntryType
from pypwext.codec import dumps
from pypwext.observability.logging._encoder import (
    PREFIXED,
    Labels,
    encode,
    exception_fields,
    format_line,
    invocation_fragment,
    label_fields,
    line_head,
    message_value,
    timestamp,
    write_line,
)
from pypwext.observability.logging._invocation import current_invocation_fields
from pypwext.observability.logging._levels import (
    INFO,
    WARNING,
    level_name,
    level_number,
    register_verbose,
    resolve_level,
)
from pypwext.observability.logging._redaction import UNMASK_ENV, _masking_lifted

if TYPE_CHECKING:
    import logging as _stdlib_logging

    from aws_lambda_powertools import Logger

__all__ = ["EntryWriter"]


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of writing (Lambda's stdout, a test's
    capture, the CLI's redirection to stderr), not to the one there was when the logger was built."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class EntryWriter:
    """Writes the entries of one service logger: its service name, its default labels
    (``operation``, ``classification``, ``type``) and location, its level, and the Powertools
    ``Logger`` underneath once there is one."""

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
        # the timestamp up to the entry's own fields, the level's name (see _new_parts)
        self._parts: dict[tuple[int, str, Labels], tuple[str, str, str]] = {}
        self._logger: Logger | None = None
        self._std: _stdlib_logging.Logger | None = None
        self._level: int | None = None  # resolved on first use, while Powertools is not underneath
        self._level_set = False  # by setLevel, before Powertools was built

    # --- where entries go ---------------------------------------------------------------

    @property
    def powertools(self) -> Logger:
        """The Powertools ``Logger`` underneath, built the first time something asks for it.

        Until then pypwext writes each entry itself: the very line this Logger writes with
        :class:`~pypwext.observability.logging._formatter.ServiceFormatter` (:func:`encode`
        writes both), straight to stdout, without the ``logging`` module's per-record work and without importing
        Powertools on a cold start. Once built (to add a handler, a filter or appended keys,
        or because ``POWERTOOLS_LOGGER_SAMPLE_RATE`` is set), every entry goes through it.
        """
        if self._logger is None:
            from aws_lambda_powertools import Logger

            register_verbose()

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
        self._emit(WARNING, message, labels, {}, self.location)

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
        number = level_number(level) if isinstance(level, str) else level
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
        labels: Labels,
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
        record.pypwext = label_fields(labels, more)
        record.location = location
        std.handle(record)

    def _write_direct(
        self,
        level: int,
        message: Any,
        labels: Labels,
        more: dict[str, Any],
        location: str,
        exc_info: Any,
    ) -> None:
        """Write the line :func:`format_line` would, through the same :func:`encode`, with the
        parts that repeat from line to line -- level, location, the service and labels, the
        invocation's fields -- encoded once, not per line."""
        created = time.time()
        parts = self._parts.get((level, location, labels)) or self._new_parts(level, location, labels)
        invocation = current_invocation_fields()
        clash = bool(more) and (
            not PREFIXED.isdisjoint(more)
            or (invocation is not None and not invocation.keys().isdisjoint(more))
        )
        if not clash:
            try:
                members = dumps(more)[1:-1] if more else ""
                exception = None if "exception" in more else exception_fields(exc_info)
                if exception is not None:
                    members += ("," if members else "") + dumps(exception)[1:-1]
                line = encode(
                    parts[0], message, timestamp(created), parts[1], members, invocation_fragment(invocation)
                )
            except (TypeError, ValueError):  # format_line shows what cannot be encoded by its repr
                pass
            else:
                write_line(line)
                return
        fields = label_fields(labels, more)
        write_line(format_line(parts[2], location, message, created, self._keys, fields, None, exc_info))

    def _new_parts(self, level: int, location: str, labels: Labels) -> tuple[str, str, str]:
        """The parts of a line that depend only on its level, location and labels: its head
        (:func:`line_head`), its tail (the service and labels, as :func:`encode` takes it) and
        the level's name, encoded once per logger."""
        name = level_name(level)
        parts = self._parts[(level, location, labels)] = (
            line_head(name, location),
            '",' + dumps({**self._keys, **label_fields(labels, {})})[1:-1],
            name,
        )
        return parts

    def _write_summary(self, labels: Labels, message: str, members: str) -> bool:
        """For ``BaseService``'s summary, not a user's API: write the INFO summary line whose own
        fields are already encoded. ``members`` is the inside of a JSON object, as
        ``dumps(fields)[1:-1]`` would give. The caller has checked the level. Returns ``False``,
        having written nothing, when Powertools is underneath, whose handlers and filters need
        the fields as a dict: call :meth:`summary` then."""
        if self._std is None and self._level is None:
            self._start()
        if self._std is not None:
            return False
        location = self.location
        parts = self._parts.get((INFO, location, labels)) or self._new_parts(INFO, location, labels)
        stamp = timestamp(time.time())
        write_line(
            encode(
                parts[0], message, stamp, parts[1], members, invocation_fragment(current_invocation_fields())
            )
        )
        return True
