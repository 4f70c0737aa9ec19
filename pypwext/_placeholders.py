"""The one grammar of ``{name}`` placeholders, which every template pypwext reads follows: a
route (``GET /orders/{order_id}``, a last ``{path+}``), a dependency's name (``billing-{STAGE}``)
or URL (``https://{HOST}/items/{item_id}``), an idempotency table (``idem-{STAGE}``), and the
resource strings of a generated template.

A placeholder is a name in braces; a name is an ASCII identifier; an UPPERCASE name may be filled
from the environment variable of that name. Any other brace is a mistake, said when the template
is declared (a route's segment is, besides, all text or one placeholder).

>>> names("billing-{STAGE}-{tenant}")
('STAGE', 'tenant')
>>> parse_route("GET /orders/{order_id}/items/{rest+}")[2]
(Segment(kind=0, value='orders'), Segment(kind=1, value='order_id'), Segment(kind=0, value='items'), Segment(kind=2, value='rest'))
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from pypwext._lazy import pattern

__all__ = [
    "GREEDY",
    "LITERAL",
    "METHODS",
    "PARAM",
    "Field",
    "Segment",
    "environment_names",
    "fields",
    "from_environment",
    "names",
    "parse_route",
    "path_segments",
    "substitute",
    "substitute_environment",
]

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY")
"""The methods a route may name (``ANY`` answers every method)."""

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_IS_NAME = pattern(_NAME + r"\Z")
_FIELD = pattern(r"\{([^{}]*)\}")
# In a generated template's text, ``${AWS::Region}`` belongs to CloudFormation, not to pypwext.
_IN_TEXT = pattern(r"(?<!\$)\{(" + _NAME + r")\}")
_ROUTE = pattern(r"(" + "|".join(METHODS) + r") (/\S*)\Z")

# Segment kinds of a route's path, ordered by how specific they are (lower = more specific).
LITERAL, PARAM, GREEDY = 0, 1, 2


class Field(NamedTuple):
    """One placeholder of a template: where it starts and ends, and its name."""

    start: int
    end: int
    name: str


class Segment(NamedTuple):
    """One segment of a route's path: ``kind`` (:data:`LITERAL`, :data:`PARAM`, :data:`GREEDY`)
    and ``value``, the literal text or the parameter's name."""

    kind: int
    value: str


def from_environment(name: str) -> bool:
    """Whether placeholder ``name`` may be filled from the environment: it is UPPERCASE."""
    return name.isupper()


def fields(template: str, what: str = "template") -> tuple[Field, ...]:
    """Each placeholder of ``template``, in order; ``ValueError`` (``malformed <what> ...``)
    for a brace that opens no placeholder or a placeholder that is not a name.

    >>> fields("/v1/{item_id}")
    (Field(start=4, end=13, name='item_id'),)
    """
    found: list[Field] = []
    for match in _FIELD().finditer(template):
        name = match.group(1)
        if not _IS_NAME().match(name):
            raise ValueError(
                f"malformed {what} {template!r}: {{{name}}} is not a placeholder; a placeholder is a "
                "Python identifier in braces, such as {item_id} or {STAGE}"
            )
        found.append(Field(match.start(), match.end(), name))
    rest = _FIELD().sub("", template)
    if "{" in rest or "}" in rest:
        raise ValueError(
            f"malformed {what} {template!r}: an unmatched '{{' or '}}' (a placeholder is a name in "
            "braces, such as {item_id} or {STAGE})"
        )
    return tuple(found)


def names(template: str, what: str = "template") -> tuple[str, ...]:
    """The placeholder names of ``template`` in order (see :func:`fields`)."""
    return tuple(f.name for f in fields(template, what))


def substitute(template: str, value: Callable[[str], str], what: str = "template") -> str:
    """``template`` with each placeholder replaced by ``value(name)``.

    >>> substitute("orders-{STAGE}-{tenant}", lambda n: n.lower())
    'orders-stage-tenant'
    """
    out: list[str] = []
    pos = 0
    for field in fields(template, what):
        out.append(template[pos : field.start])
        out.append(value(field.name))
        pos = field.end
    out.append(template[pos:])
    return "".join(out)


def environment_names(text: str) -> set[str]:
    """The UPPERCASE placeholders in ``text``, a resource string of a generated template, where
    anything else (``${AWS::Region}``, ``*``) is left alone.

    >>> sorted(environment_names("arn:${AWS::Partition}:ssm:{AWS_REGION}:*:parameter/{STAGE}/{tenant}"))
    ['AWS_REGION', 'STAGE']
    """
    return {name for name in _IN_TEXT().findall(text) if from_environment(name)}


def substitute_environment(text: str, value: Callable[[str], str]) -> str:
    """``text`` (see :func:`environment_names`) with each UPPERCASE placeholder replaced by
    ``value(name)``."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        return value(name) if from_environment(name) else match.group(0)

    return _IN_TEXT().sub(repl, text)


def parse_route(route: str) -> tuple[str, str, tuple[Segment, ...]]:
    """``(method, path template, segments)`` of a route ``"METHOD /path"``; ``ValueError`` says
    what is wrong. The one check of a route, when its class is defined and in ``Api()``."""
    found = _ROUTE().match(route) if isinstance(route, str) else None
    if found is None:
        raise ValueError(
            f"route must look like 'POST /orders/{{order_id}}' (METHOD, one space, a path), got {route!r}"
        )
    return found.group(1), found.group(2), path_segments(found.group(2))


def path_segments(template: str) -> tuple[Segment, ...]:
    """Check a route's path template and split it into segments: literals (``orders``),
    parameters (``{order_id}``) and, last only, a greedy parameter (``{path+}``). A segment
    cannot mix text and a parameter; names appear once."""

    def bad(reason: str) -> ValueError:
        return ValueError(f"path template {template!r}: {reason}")

    if not template.startswith("/"):
        raise bad("must start with '/'")
    if template == "/":
        return ()
    if template.endswith("/"):
        raise bad("must not end with '/' (a request's trailing '/' is ignored anyway)")
    segments: list[Segment] = []
    seen: set[str] = set()
    parts = template[1:].split("/")
    for index, part in enumerate(parts):
        if not part:
            raise bad("has an empty segment ('//')")
        if "{" not in part and "}" not in part:
            segments.append(Segment(LITERAL, part))
            continue
        if not (part.startswith("{") and part.endswith("}")) or part.count("{") != 1 or part.count("}") != 1:
            stem = re.sub(r"[^{}]*(\{[^{}]*\})[^{}]*", r"\1", part)
            raise bad(
                f"segment {part!r} mixes text and a parameter; use '/{'/'.join([*parts[:index], stem])}'"
                if part.count("{") == 1 and part.count("}") == 1
                else f"segment {part!r} has unbalanced braces"
            )
        name = part[1:-1]
        kind = PARAM
        if name.endswith("+"):
            kind, name = GREEDY, name[:-1]
            if index != len(parts) - 1:
                raise bad(f"the greedy parameter {{{name}+}} must be the last segment")
        if not _IS_NAME().match(name):
            raise bad(f"parameter name {name!r} is not an identifier")
        if name in seen:
            raise bad(f"parameter {{{name}}} appears twice")
        seen.add(name)
        segments.append(Segment(kind, name))
    return tuple(segments)
