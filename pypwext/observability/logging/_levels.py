"""The levels of service loggers: the standard numbers (the ``logging`` module's, without
importing it on a cold start: pypwext writes its own lines), PyPwExt's ``VERBOSE`` (15) and the
rule that picks the level from the environment (:func:`resolve_level`, Powertools' order:
Lambda's advanced logging controls, ``POWERTOOLS_LOG_LEVEL``, ``LOG_LEVEL``, INFO)."""

from __future__ import annotations

import os
import sys

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "NOTSET",
    "VERBOSE",
    "WARNING",
    "level_name",
    "level_number",
    "register_verbose",
    "resolve_level",
]

# The standard library's numbers (fixed since logging exists; tests/observability pins them).
NOTSET = 0
DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40
CRITICAL = 50

VERBOSE = 15
"""PyPwExt's ``VERBOSE`` level: between ``DEBUG`` (10) and ``INFO`` (20). ``LOG_LEVEL=VERBOSE``
shows what services log with ``self.logger.verbose(...)`` without the DEBUG entry/exit lines."""

_LEVEL_NAMES = {
    DEBUG: "DEBUG",
    VERBOSE: "VERBOSE",
    INFO: "INFO",
    WARNING: "WARNING",
    ERROR: "ERROR",
    CRITICAL: "CRITICAL",
}
_LEVEL_NUMBERS = {
    "NOTSET": NOTSET,
    "DEBUG": DEBUG,
    "VERBOSE": VERBOSE,
    "INFO": INFO,
    "WARN": WARNING,
    "WARNING": WARNING,
    "ERROR": ERROR,
    "CRITICAL": CRITICAL,
    "FATAL": CRITICAL,
}


def register_verbose() -> None:
    """Give ``VERBOSE`` its name in the ``logging`` module (for the Powertools ``Logger``
    underneath, and for anything else that formats records with it): done when pypwext first
    uses that module, and at import when something imported it before."""
    import logging

    if logging.getLevelName(VERBOSE) != "VERBOSE":
        logging.addLevelName(VERBOSE, "VERBOSE")


if "logging" in sys.modules:
    register_verbose()


def level_name(level: int) -> str:
    """The name a line shows for ``level`` (``INFO``, ``VERBOSE``, ``Level 12``).

    >>> level_name(15), level_name(12)
    ('VERBOSE', 'Level 12')
    """
    known = _LEVEL_NAMES.get(level)
    if known is not None:
        return known
    logging = sys.modules.get("logging")  # a level a user named (only with that module imported)
    if logging is not None:
        return str(logging.getLevelName(level))
    return f"Level {level}"


def level_number(name: str) -> int | None:
    """The number of the level called ``name`` (any case, ``WARN`` and ``FATAL`` too), or
    ``None`` when there is no such level. A level a user named with ``logging.addLevelName`` counts.

    >>> level_number("verbose"), level_number("Warn"), level_number("LOUD")
    (15, 30, None)
    """
    key = name.strip().upper()
    number = _LEVEL_NUMBERS.get(key)
    if number is not None:
        return number
    logging = sys.modules.get("logging")
    if logging is not None:
        found = logging.getLevelName(key)
        if isinstance(found, int):
            return found
    return None


_LAMBDA_LEVELS = {
    "TRACE": NOTSET,
    "DEBUG": DEBUG,
    "INFO": INFO,
    "WARN": WARNING,
    "ERROR": ERROR,
    "FATAL": CRITICAL,
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
    level = level_number(name) if name.strip() else None
    warning = None
    if name.strip() and level is None:
        warning = f"log level {name!r} is not a level (DEBUG, VERBOSE, INFO, WARNING, ERROR, CRITICAL); logging at INFO"
    if lambda_level is not None:
        if level is not None and level < lambda_level:
            warning = (
                f"log level {name!r} is more verbose than Lambda's advanced logging controls "
                f"({os.environ['AWS_LAMBDA_LOG_LEVEL']}): Lambda drops the entries in between"
            )
        return lambda_level, warning
    return (level if level is not None else INFO), warning
