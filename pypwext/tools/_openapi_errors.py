"""The error statuses a service may answer with, for its OpenAPI document.

:func:`service_errors` gathers them from what the class says:

* the class option ``raises = (Conflict, OutOfStock)``: the ``ServiceError`` classes the service
  declares;
* every ``raise SomeError(...)`` in the class's own source (its methods and nested helpers),
  where ``SomeError`` is a ``ServiceError`` class the module can see: its ``code``, or the
  literal ``code=...`` of the call (a code computed at run time is left to ``default``);
* its dependencies (``Http``, ``LambdaFunction``, ``Parameter``...): 502 (the dependency failed)
  and 504 (it did not answer in time).

Each status comes with a description: the error classes' docstrings, first line.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from http import HTTPStatus
from typing import Any

from pypwext.errors import DependencyError, ServiceError
from pypwext.runtime._service import BaseService
from pypwext.runtime._spec import below_kind

__all__ = ["DEPENDENCY_CODES", "operation_errors", "service_errors"]

DEPENDENCY_CODES: dict[int, str] = {
    HTTPStatus.BAD_GATEWAY: "A dependency failed (it answered an error, or an answer that does not fit).",
    HTTPStatus.GATEWAY_TIMEOUT: "A dependency did not answer in time.",
}
"""What a declared dependency adds to a service's answers (see ``DependencyError``)."""


def operation_errors(service: type[BaseService], typed: bool, has_path_params: bool) -> dict[int, list[str]]:
    """The error statuses of one operation of ``service``, each with its descriptions, in code
    order: 400 when pypwext structures a typed input, 404 for a route with path parameters,
    the idempotency's 400 and 409, :func:`service_errors`, and 500."""
    found: dict[int, list[str]] = {}
    if typed:
        found[400] = [
            "The request does not fit the input: details.problems names every bad field by its path."
        ]
    if has_path_params:
        found[404] = ["No such resource (or a path its route does not match)."]
    if service.idempotency is not None:
        if service.idempotency.required:
            found.setdefault(400, []).append("The request lacks its idempotency key.")
        found[409] = ["A request with the same idempotency key is in progress."]
    for code, descriptions in service_errors(service).items():
        known = found.setdefault(code, [])
        known.extend(d for d in descriptions if d not in known)
    found.setdefault(500, []).insert(0, "An unexpected error (its text goes to the log, never here).")
    return dict(sorted(found.items()))


def service_errors(service: type[BaseService]) -> dict[int, list[str]]:
    """``{code: [description, ...]}`` of the errors ``service`` declares, raises by type in its
    own source, or gets from its dependencies, in code order.

    >>> from pypwext import Conflict, Request
    >>> class Reserve(BaseService):
    ...     raises = (Conflict,)
    ...     def execute(self, request: Request) -> None:
    ...         return None
    >>> service_errors(Reserve)
    {409: ['The request conflicts with the current state (a duplicate, a version mismatch).']}
    """
    found: dict[int, list[str]] = {}

    def add(code: int, description: str) -> None:
        known = found.setdefault(int(code), [])
        if description not in known:
            known.append(description)

    for error in service.raises:
        add(error.default_code, _describe(error))
    for error, code, msg in _raised(service):
        add(code, f"{error.__name__}: {msg}" if msg else _describe(error))
    if service._pypwext_spec.dependencies:
        for code, description in DEPENDENCY_CODES.items():
            add(code, description)
    return dict(sorted(found.items()))


def _describe(error: type[ServiceError]) -> str:
    """The first line of the error class's own docstring (without a leading ``409:``), else its
    name and reason phrase."""
    doc = error.__doc__ if "__doc__" in vars(error) and error.__doc__ else ""
    first = (
        inspect.cleandoc(doc).split("\n\n", 1)[0].replace("\n", " ").replace("``", "`").strip() if doc else ""
    )
    code, _, rest = first.partition(":")
    if code.strip().isdigit() and rest:
        first = rest.strip()
    if first:
        return first[:1].upper() + first[1:]
    try:
        phrase = HTTPStatus(error.default_code).phrase
    except ValueError:
        phrase = "Error"
    return f"{error.__name__} ({phrase})."


def _raised(service: type[BaseService]) -> list[tuple[type[ServiceError], int, str]]:
    """The ``ServiceError`` classes raised by name in the source of the service and of its
    bases below ``BaseService``, with the code each raise answers and its message as written
    (``no order {ref.order_id}``; ``""`` when it is not a string literal)."""
    out: list[tuple[type[ServiceError], int, str]] = []
    for klass in below_kind(service):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue  # no source to read (a class built with type(), an interactive session)
        module = sys.modules.get(klass.__module__)
        names: dict[str, Any] = {**vars(module)} if module is not None else {}
        names.update(vars(klass))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = _raise_of(node.exc, names)
                if raised is not None:
                    out.append(raised)
    return out


def _raise_of(exc: ast.expr, names: dict[str, Any]) -> tuple[type[ServiceError], int, str] | None:
    call = exc if isinstance(exc, ast.Call) else None
    target = _resolve(call.func if call is not None else exc, names)
    if not (isinstance(target, type) and issubclass(target, ServiceError)):
        return None
    code: Any = target.default_code
    for keyword in call.keywords if call is not None else ():
        if keyword.arg == "code":
            if not isinstance(keyword.value, ast.Constant) or not isinstance(keyword.value.value, int):
                return None  # a code computed at run time: the document's "default"
            code = keyword.value.value
    if issubclass(target, DependencyError) and call is None:
        return None  # a re-raised dependency error: its dependency's codes say it
    if isinstance(code, bool) or not isinstance(code, int) or not 400 <= code <= 599:
        return None
    return target, int(code), _message(call)


def _message(call: ast.Call | None) -> str:
    """The message of ``raise Error("...")`` as written: a literal, or an f-string with its
    placeholders (``no order {ref.order_id}``)."""
    node = call.args[0] if call is not None and call.args else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(part.value) if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
            for part in node.values
            if isinstance(part, (ast.Constant, ast.FormattedValue))
        )
    return ""


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    """The object a ``Name`` or dotted ``Attribute`` expression names, or ``None``."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, names)
        return getattr(base, node.attr, None) if base is not None else None
    return None
