"""Name templates of dependencies: ``"billing-{STAGE}"``, ``"/app/{STAGE}/db-url"``.

A ``{placeholder}`` is filled from the call's arguments first and, when it is UPPERCASE, from the
environment variable of that name second. A template is checked when it is declared, so that a
malformed one fails at import.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from typing import Any

from pypwext import _placeholders

__all__ = ["fill", "lookup", "missing", "placeholders", "resource_pattern"]


def placeholders(template: str) -> tuple[str, ...]:
    """The placeholders of ``template`` in order; ``ValueError`` for a malformed one (the one
    grammar: :mod:`pypwext._placeholders`).

    >>> placeholders("billing-{STAGE}-{tenant}")
    ('STAGE', 'tenant')
    """
    return _placeholders.names(template)


def fill(
    template: str,
    args: Mapping[str, Any],
    *,
    what: str = "name",
    escape: Callable[[str], str] | None = None,
) -> str:
    """Fill ``template`` from ``args``, then from UPPERCASE environment variables.

    Raises ``KeyError`` naming what is missing, ``TypeError`` for an argument the template does
    not use (a typo should not pass silently).

    >>> fill("billing-{STAGE}", {"STAGE": "dev"})
    'billing-dev'
    """
    names = placeholders(template)
    unused = set(args) - set(names)
    if unused:
        raise TypeError(
            f"{what} template {template!r} has no placeholder {', '.join(sorted(unused))}"
            f" (placeholders: {', '.join(names) or 'none'})"
        )
    values: dict[str, str] = {}
    for name in names:
        value = lookup(name, args)
        if value is None:
            raise KeyError(missing(name, f"{what} template {template!r}"))
        values[name] = escape(value) if escape is not None else value
    return _placeholders.substitute(template, values.__getitem__)


def lookup(name: str, args: Mapping[str, Any]) -> str | None:
    """The value of placeholder ``name``: the call's argument first (``None`` counts as not
    given), the environment variable second when the name is UPPERCASE; ``None`` when neither.
    This is the one rule every dependency template follows (names, parameter paths, URLs).

    >>> lookup("item_id", {"item_id": 7}), lookup("tenant", {})
    ('7', None)
    """
    value = args.get(name)
    if value is not None:
        return str(value.value) if isinstance(value, enum.Enum) else str(value)
    if _placeholders.from_environment(name):
        return os.environ.get(name)
    return None


def missing(name: str, where: str) -> str:
    """The message for a placeholder nothing fills: what needs it and how to fill it."""
    how = f"pass {name}=..."
    if _placeholders.from_environment(name):
        how += f" or set the environment variable {name}"
    return f"{where} needs {{{name}}}: {how}"


def resource_pattern(template: str) -> str:
    """``template`` with lowercase placeholders (filled per call) turned into ``*``; UPPERCASE
    ones stay for a generated template to substitute.

    >>> resource_pattern("orders-{STAGE}-{tenant}")
    'orders-{STAGE}-*'
    """
    return _placeholders.substitute(
        template, lambda n: "{" + n + "}" if _placeholders.from_environment(n) else "*"
    )
