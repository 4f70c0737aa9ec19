"""What every ``pypwext`` subcommand shares: exit codes, errors a shell user can act on, and
loading a handler from a file or module."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "EXIT_EVENT",
    "EXIT_HANDLER_RAISED",
    "EXIT_OK",
    "EXIT_TARGET",
    "EXIT_USAGE",
    "CliError",
    "load_target",
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
    to a callable handler. A service class or instance is accepted too.

    Raises :class:`CliError` with a message that says what is wrong.
    """
    from pypwext.service import BaseService

    spec, _, attr = target.partition(":")
    attr = attr or "handler"
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        module = _load_file(Path(spec))
    else:
        try:
            module = importlib.import_module(spec)
        except ModuleNotFoundError as exc:
            raise CliError(f"module not found: {spec} ({exc})", EXIT_TARGET) from None
        except Exception as exc:
            raise CliError(f"cannot import {spec}: {type(exc).__name__}: {exc}", EXIT_TARGET) from None
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = ", ".join(n for n in dir(module) if not n.startswith("_"))
            raise CliError(f"{spec} has no attribute '{attr}' (it has: {names})", EXIT_TARGET) from None
    if isinstance(obj, type) and issubclass(obj, BaseService):
        return obj.handler
    if not callable(obj):
        raise CliError(f"{target} is not a handler: {type(obj).__name__} is not callable", EXIT_TARGET)
    return obj  # type: ignore[no-any-return]


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise CliError(f"file not found: {path}", EXIT_TARGET)
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise CliError(f"cannot import {path}", EXIT_TARGET)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a service class that fails its import-time checks lands here
        del sys.modules[path.stem]
        raise CliError(f"cannot import {path}: {type(exc).__name__}: {exc}", EXIT_TARGET) from None
    return module
