"""Names a package exports but imports on first use, and regular expressions compiled on first
use, so that importing pypwext stays cheap.

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

A module's regular expression is made with :func:`pattern` rather than ``re.compile``: compiling
one costs 50 to 400 µs, and most of them are not needed by a cold start's first call.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["exports", "pattern"]


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


def pattern(source: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """The regular expression ``source``, compiled on first use: ``WORD = pattern(r"[a-z]+")`` at
    module level, then ``WORD().match(text)`` (after the first call, a cached lookup).

    >>> WORD = pattern(r"[a-z]+")
    >>> WORD().match("abc1").group()
    'abc'
    >>> WORD() is WORD()
    True
    """
    return functools.cache(functools.partial(re.compile, source, flags))
