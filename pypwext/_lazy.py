"""Names a package exports but imports on first use, so that importing it stays cheap.

One rule for every package face of pypwext (``pypwext``, ``pypwext.runtime``, ``pypwext.kinds``,
...): cold start is a feature, and an HTTP service should not pay for the batch machinery, nor a
batch service for the HTTP client. A face lists where each name lives and hands this module's
two functions to Python as its ``__getattr__`` and ``__dir__`` (PEP 562).

>>> import types
>>> face = types.ModuleType("face")
>>> face.__getattr__, face.__dir__ = exports("face", {"dumps": "json"}, ["dumps"])
>>> import sys; sys.modules["face"] = face
>>> face.__getattr__("dumps").__name__
'dumps'
>>> "dumps" in vars(face)  # the next access is a plain lookup
True
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["exports"]


def exports(
    package: str, homes: Mapping[str, str], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the package ``package``: ``homes`` maps each name
    imported on first use to the module that defines it; ``names`` is the package's ``__all__``."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
