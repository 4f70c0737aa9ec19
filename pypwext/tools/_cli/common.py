"""What every ``pypwext`` subcommand shares: exit codes, errors a shell user can act on, and
loading a handler from a file or module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "EXIT_EVENT",
    "EXIT_HANDLER_RAISED",
    "EXIT_OK",
    "EXIT_TARGET",
    "EXIT_USAGE",
    "CliError",
    "load_target",
    "parse_pairs",
]

EXIT_OK = 0
EXIT_HANDLER_RAISED = 1
EXIT_USAGE = 2
EXIT_TARGET = 3
EXIT_EVENT = 4


class CliError(Exception):
    """A problem a shell user can act on; carries the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def load_target(target: str) -> Callable[[Any, Any], Any]:
    """Resolve ``path/to/file.py:attr`` or ``package.module:attr`` (attr defaults to ``handler``)
    to a callable handler. A service class is accepted too (its ``handler``).

    Raises :class:`CliError` with a message that says what is wrong.
    """
    from pypwext.runtime._service import BaseService
    from pypwext.tools._loader import TargetError, load_module, resolve_attribute

    spec, _, attr = target.partition(":")
    try:
        obj = resolve_attribute(load_module(spec), spec, attr or "handler")
    except TargetError as exc:
        raise CliError(str(exc), EXIT_TARGET) from None
    if isinstance(obj, type) and issubclass(obj, BaseService):
        return obj.handler
    if not callable(obj):
        raise CliError(f"{target} is not a handler: {type(obj).__name__} is not callable", EXIT_TARGET)
    return obj  # type: ignore[no-any-return]


def parse_pairs(values: Sequence[str], sep: str, what: str, *, strip_values: bool = True) -> dict[str, str]:
    """``["A=1", "B=2"]`` as ``{"A": "1", "B": "2"}`` for repeatable ``NAME<sep>VALUE`` options
    (``--env``, ``--header``, ``--query``); a :class:`CliError` (exit 2) names a malformed one."""
    found: dict[str, str] = {}
    for value in values:
        key, found_sep, val = value.partition(sep)
        if not found_sep or not key.strip():
            raise CliError(f"{what} must look like NAME{sep}VALUE, got {value!r}", EXIT_USAGE)
        found[key.strip()] = val.strip() if strip_values else val
    return found
