"""The program that imports a handler in the interpreter of the target runtime (what
:func:`pypwext.tools._handler_check.check_imported` runs, by path, with ``-I -S -B``).

It runs under another Python (the Lambda runtime's version, the package's tree and the standard
library only), so it imports nothing of pypwext and nothing outside the standard library. It is
also the one home of the handler-string rule (:func:`split`, which
:func:`pypwext.tools._handler_check.split_handler` words as errors). It prints one line, :data:`MARKER` followed by a JSON object: ``{"ok": true}`` or ``{"error": ...}``
(``handler``, ``module``, ``dotted``, ``import``, ``attribute``, ``class`` or ``callable``), which
:func:`pypwext.tools._handler_check.explain` turns into the message a user reads.

    python -I -S -B _handler_probe.py TREE HANDLER
"""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any, NoReturn

MARKER = "@@pypwext@@"
"""Starts the answer line (whatever the imported module printed before it is skipped)."""


def split(handler: str) -> tuple[str, str] | None:
    """``(module, attribute)`` of a handler string as Lambda's runtime resolves it: split at the
    last dot, a ``/`` in the module part a folder, the module imported as written (nothing is
    stripped). ``None`` when that names no module attribute: no dot, an empty attribute, or an
    empty part in the module name (a leading ``./`` or ``.``, a ``..``), which Lambda's import
    refuses."""
    module, _, attr = handler.rpartition(".")
    module = module.replace("/", ".")
    if not attr or "" in module.split("."):
        return None
    return module, attr


def answer(**fields: Any) -> NoReturn:
    """Print the answer line and stop."""
    sys.stdout.write("\n" + MARKER + json.dumps(fields) + "\n")
    sys.exit(0)


def _import(module_name: str, attr: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        parts = module_name.split(".")
        if exc.name and module_name.startswith(exc.name) and exc.name != parts[0]:
            for cut in range(len(parts) - 1, 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:cut]))
                except Exception:
                    continue
                if hasattr(obj, parts[cut]):
                    answer(error="dotted", module=".".join(parts[:cut]), path=".".join([*parts[cut:], attr]))
                answer(error="module", missing=exc.name, message=str(exc), prefix=".".join(parts[:cut]))
        answer(error="module", missing=exc.name or module_name, message=str(exc))
    except BaseException as exc:
        answer(error="import", message=f"{type(exc).__name__}: {exc}")


def _handler_like(module: ModuleType, name: str, obj: object) -> bool:
    if name.startswith("_") or not callable(obj) or isinstance(obj, type):
        return False
    if hasattr(obj, "service_class") or hasattr(obj, "api"):
        return True
    return getattr(obj, "__module__", None) == module.__name__


def probe(tree: str, handler: str) -> NoReturn:
    """Import ``handler`` (``module.attribute``, :func:`split`) from ``tree`` and answer."""
    parts = split(handler)
    if parts is None:
        answer(error="handler")
    sys.path.insert(0, tree)
    module_name, attr = parts
    module = _import(module_name, attr)
    if not hasattr(module, attr):
        names = sorted(n for n, o in vars(module).items() if _handler_like(module, n, o))
        answer(error="attribute", names=names)
    obj = getattr(module, attr)
    mro = getattr(obj, "__mro__", None)
    if mro and any(c.__name__ == "BaseService" and c.__module__ == "pypwext.runtime._service" for c in mro):
        answer(error="class", name=obj.__name__)
    if not callable(obj):
        answer(error="callable", type=type(obj).__name__)
    answer(ok=True)


if __name__ == "__main__":
    probe(sys.argv[1], sys.argv[2])
