"""The levels of service loggers: PyPwExt's ``VERBOSE`` (15) and the rule that picks the level
from the environment (:func:`resolve_level`, Powertools' order: Lambda's advanced logging
controls, ``POWERTOOLS_LOG_LEVEL``, ``LOG_LEVEL``, INFO)."""

from __future__ import annotations

import logging as _stdlib_logging
import os
from typing import Any

__all__ = ["VERBOSE", "level_name", "resolve_level"]

VERBOSE = 15
"""PyPwExt's ``VERBOSE`` level: between ``DEBUG`` (10) and ``INFO`` (20). ``LOG_LEVEL=VERBOSE``
shows what services log with ``self.logger.verbose(...)`` without the DEBUG entry/exit lines."""
_stdlib_logging.addLevelName(VERBOSE, "VERBOSE")

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


def level_name(level: int) -> str:
    """The name a line shows for ``level`` (``INFO``, ``VERBOSE``, ``Level 12``)."""
    return _LEVEL_NAMES.get(level) or _stdlib_logging.getLevelName(level)


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
