"""The Lambda handler string, checked in one place for ``pypwext package``, ``deploy`` and
``template`` (which builds its handler strings with :func:`handler_string`).

Lambda resolves a handler string as ``module.attribute``, split at the last dot: ``app.handler``
is the attribute ``handler`` of the module ``app`` (``app.py`` at the root of the zip).
``app.CreateOrder.handler`` looks for a module ``app.CreateOrder`` and fails; a typo such as
``app.hander`` imports the module and then fails on every invoke. Two ways to check it:

- :func:`check_static` reads the module's source with :mod:`ast` (a project directory or a zip,
  through a :data:`Reader`): nothing is imported, so it works before anything is installed and
  on any machine;
- :func:`check_imported` imports the module in a subprocess of a given interpreter (``-I -S``:
  the tree and the standard library only), as Lambda would.

Both raise :class:`HandlerError` with the same messages (:func:`explain`), which name the fix:
the module-level line to add, or the module's handler-like names and the closest one.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypwext.tools._handler_probe import MARKER, split

__all__ = [
    "HandlerError",
    "Reader",
    "check_imported",
    "check_static",
    "directory_reader",
    "explain",
    "handler_string",
    "split_handler",
    "zip_reader",
]

Reader = Callable[[str], "bytes | None"]
"""Reads a file of the code tree by its ``/``-separated relative path; ``None`` when absent."""


class HandlerError(ValueError):
    """The handler string does not resolve; the message says how to fix it."""


def split_handler(handler: str) -> tuple[str, str]:
    """``(module, attribute)`` of a handler string, split as Lambda splits it (at the last dot;
    a ``/`` in the module part is a folder; the rule is :func:`pypwext.tools._handler_probe.split`,
    which the import check runs too). Raises :class:`HandlerError` when it names no module
    attribute (no dot, or an empty module name part such as a leading ``./``)."""
    parts = split(handler)
    if parts is None:
        raise HandlerError(
            f"handler '{handler}' must look like 'module.attribute' (e.g. 'app.handler' for "
            "'handler = MyService.handler' in app.py)"
        )
    return parts


def handler_string(module: str, attr: str) -> str:
    """The handler string Lambda resolves to the module-level ``attr`` of ``module`` (the
    inverse of :func:`split_handler`); ``attr`` must be one name, not an attribute path."""
    if not attr.isidentifier() or split(f"{module}.{attr}") is None:
        raise HandlerError(
            f"'{module}.{attr}' is not a handler string: Lambda needs a module-level name, "
            f"e.g. 'handler = MyService.handler' in {module.replace('.', '/')}.py"
        )
    return f"{module}.{attr}"


def directory_reader(root: Path) -> Reader:
    """A :data:`Reader` over the files of a directory."""

    def read(path: str) -> bytes | None:
        file = root / path
        return file.read_bytes() if file.is_file() else None

    return read


def zip_reader(zip_path: Path) -> Reader:
    """A :data:`Reader` over the entries of a zip."""
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())

    def read(path: str) -> bytes | None:
        if path not in names:
            return None
        with zipfile.ZipFile(zip_path) as archive:
            return archive.read(path)

    return read


def _module_source(read: Reader, module: str) -> tuple[str, bytes] | None:
    base = module.replace(".", "/")
    for path in (f"{base}.py", f"{base}/__init__.py"):
        source = read(path)
        if source is not None:
            return path, source
    return None


def _dotted_message(handler: str, module: str, path: str) -> str:
    owner, _, attr = path.rpartition(".")
    file = module.replace(".", "/") + ".py"
    return (
        f"handler '{handler}' does not resolve: Lambda splits a handler string at its last dot, "
        f"so it looks for a module '{handler.rpartition('.')[0]}', which does not exist "
        f"('{path}' would be an attribute path inside module '{module}'). Add this line at module "
        f"level in {file}:\n\n    {attr} = {owner}.{attr}\n\nand use the handler string '{module}.{attr}'."
    )


def explain(handler: str, result: dict[str, Any]) -> None:
    """Raise the :class:`HandlerError` that a check's ``result`` describes (nothing when it has
    no ``error``). The one place the messages are worded."""
    module, attr = split_handler(handler)
    error = result.get("error")
    if error is None:
        return
    if error == "dotted":
        raise HandlerError(_dotted_message(handler, result["module"], result["path"]))
    if error == "module":
        missing = result["missing"]
        if missing == module or module.startswith(missing + "."):
            prefix = result.get("prefix")
            hint = (
                f" {prefix.replace('.', '/')}.py exists, but Lambda splits a handler string at its last "
                f"dot: for a service class in it, add '{attr} = ServiceClass.{attr}' at module level "
                f"there (e.g. '{attr} = {module.split('.')[len(prefix.split('.'))]}.{attr}') and use "
                f"the handler string '{prefix}.{attr}'."
                if prefix
                else f" Its file must be at the root: {module.replace('.', '/')}.py"
            )
            raise HandlerError(
                f"handler '{handler}': module '{module}' is not in {result.get('where', 'the package')} "
                f"({result['message']}).{hint}"
            )
        raise HandlerError(
            f"handler '{handler}': module '{module}' imports '{missing}', which is not in the package. "
            "Add the distribution that provides it to requirements.txt."
        )
    if error == "import":
        raise HandlerError(
            f"handler '{handler}': importing '{module}' in the built package fails: {result['message']}. "
            "Lambda would report Runtime.ImportModuleError. (If it needs environment variables or "
            "AWS access at import, set them, or skip this check with --no-check-handler.)"
        )
    if error == "attribute":
        names: list[str] = result["names"]
        close = difflib.get_close_matches(attr, names, n=1)
        hint = f" Did you mean '{module}.{close[0]}'?" if close else ""
        raise HandlerError(
            f"handler '{handler}': module '{module}' has no attribute '{attr}' "
            f"(its handler-like names: {', '.join(names) or 'none'}).{hint} "
            f"For a service class, add 'handler = MyService.handler' to {module.replace('.', '/')}.py."
        )
    if error == "class":
        raise HandlerError(
            f"handler '{handler}' names the service class {result['name']} itself; Lambda would call "
            f"{result['name']}(event, context). Write '{attr} = {result['name']}.handler' instead."
        )
    if error == "callable":
        raise HandlerError(f"handler '{handler}' is a {result['type']}, not a callable")
    raise HandlerError(f"handler '{handler}': {result}")  # pragma: no cover - a new kind of error


def _top_level_names(source: bytes, filename: str) -> tuple[dict[str, ast.AST], bool]:
    """Names bound at module level (and whether a ``from x import *`` hides some)."""
    tree = ast.parse(source, filename=filename)
    names: dict[str, ast.AST] = {}
    star = False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names[sub.id] = node
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                else:
                    names[(alias.asname or alias.name).split(".")[0]] = node
    return names, star


def _handler_like(names: dict[str, ast.AST]) -> list[str]:
    """Public names that could be a handler: functions, and names bound to a call or an
    attribute (``handler = CreateOrder.handler``), not classes, imports or literals."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    values = (ast.Attribute, ast.Call, ast.Name, ast.Lambda)

    def could_be(node: ast.AST) -> bool:
        if isinstance(node, functions):
            return True
        return isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, values)

    return sorted(name for name, node in names.items() if not name.startswith("_") and could_be(node))


def _is_service_class(node: ast.AST | None) -> bool:
    return isinstance(node, ast.ClassDef) and any(
        (isinstance(b, ast.Name) and b.id == "BaseService")
        or (isinstance(b, ast.Attribute) and b.attr == "BaseService")
        for b in node.bases
    )


def check_static(read: Reader, handler: str, where: str = "the package") -> None:
    """Check ``handler`` against the sources ``read`` gives, without importing anything: the
    module's file exists, and binds the attribute at module level (a ``from x import *`` is
    given the benefit of the doubt). Raises :class:`HandlerError`."""
    module, attr = split_handler(handler)
    found = _module_source(read, module)
    if found is None:
        parts = module.split(".")
        missing: dict[str, Any] = {"missing": module, "where": where}
        missing["message"] = f"no {module.replace('.', '/')}.py"
        for cut in range(len(parts) - 1, 0, -1):
            prefix = _module_source(read, ".".join(parts[:cut]))
            if prefix is not None:
                try:
                    names, _ = _top_level_names(prefix[1], prefix[0])
                except SyntaxError:
                    names = {}
                if parts[cut] in names:
                    path = ".".join([*parts[cut:], attr])
                    explain(handler, {"error": "dotted", "module": ".".join(parts[:cut]), "path": path})
                missing["prefix"] = ".".join(parts[:cut])
                break
        explain(handler, {"error": "module", **missing})
        return
    filename, source = found
    try:
        names, star = _top_level_names(source, filename)
    except SyntaxError as exc:
        explain(handler, {"error": "import", "message": f"SyntaxError: {exc}"})
        return
    if attr not in names and not star:
        explain(handler, {"error": "attribute", "names": _handler_like(names)})
    if _is_service_class(names.get(attr)):
        explain(handler, {"error": "class", "name": attr})


_PROBE = str(Path(__file__).with_name("_handler_probe.py"))
"""The probe program, run by path in the target interpreter (a real module: linted and typed)."""


def check_imported(tree: Path, handler: str, interpreter: str, timeout: float = 120) -> dict[str, Any]:
    """Import the handler's module from ``tree`` with ``interpreter`` (``-I -S -B``: the tree and
    the standard library only, with Lambda's ``LAMBDA_TASK_ROOT`` and a region set) and return
    what it found: ``{"ok": True}`` or ``{"error": ...}`` for :func:`explain`. Raises
    :class:`HandlerError` when the interpreter crashes."""
    split_handler(handler)
    env = {"PATH": os.environ.get("PATH", ""), "LAMBDA_TASK_ROOT": str(tree), "AWS_REGION": "us-east-1"}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    done = subprocess.run(
        [interpreter, "-I", "-S", "-B", _PROBE, str(tree), handler],
        capture_output=True,
        text=True,
        cwd=str(tree),
        env=env,
        timeout=timeout,
    )
    marker = done.stdout.rfind(MARKER)
    if marker < 0:
        raise HandlerError(
            f"handler '{handler}': importing it with {interpreter} crashed (exit {done.returncode}):\n"
            + "\n".join(done.stderr.splitlines()[-10:])
        )
    result: dict[str, Any] = json.loads(done.stdout[marker + len(MARKER) :])
    return result
