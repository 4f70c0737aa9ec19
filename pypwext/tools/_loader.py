"""Loading the code a command works on: ``path/to/file.py`` or ``package.module``, and an
attribute in it. One place, so that ``pypwext invoke``, ``serve`` and ``openapi`` find targets,
and word their errors, the same way.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["TargetError", "load_module", "resolve_attribute"]


class TargetError(ValueError):
    """The target cannot be loaded; the message says why (file or module not found, an import
    that fails — a service class that fails its checks says how to fix it —, no such attribute)."""


def load_module(spec: str) -> ModuleType:
    """Import ``path/to/file.py`` (its folder goes first on ``sys.path``, as Lambda puts the
    function's root there) or a dotted module name."""
    if spec.endswith(".py") or "/" in spec:
        path = Path(spec)
        if not path.is_file():
            raise TargetError(f"file not found: {path}")
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise TargetError(f"cannot import {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[path.stem]
            raise TargetError(f"cannot import {path}: {type(exc).__name__}: {exc}") from exc
        return module
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        raise TargetError(f"module not found: {spec} ({exc})") from exc
    except Exception as exc:
        raise TargetError(f"cannot import {spec}: {type(exc).__name__}: {exc}") from exc


def resolve_attribute(module: ModuleType, spec: str, attr: str) -> Any:
    """``module.attr`` (dotted: ``CreateOrder.handler``), or a :class:`TargetError` that lists
    what the module has."""
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = ", ".join(n for n in dir(module) if not n.startswith("_"))
            raise TargetError(f"{spec} has no attribute '{attr}' (it has: {names})") from None
    return obj
