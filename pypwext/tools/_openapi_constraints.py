"""JSON Schema constraints from attrs validators, for the OpenAPI document.

A field's attrs validators run when the codec builds the input, so a request that breaks one
answers 400; the document states them, so that a client (or schemathesis) knows the rule before
it sends:

==================================  ========================================================
``attrs.validators.gt/ge/lt/le(n)``  ``exclusiveMinimum``/``minimum``/``exclusiveMaximum``/``maximum``
``min_len(n)`` / ``max_len(n)``      ``minLength``/``minItems``/``minProperties`` and the max ones
``matches_re(r)``                    ``pattern`` (anchored as the match function is: fullmatch,
                                     match, search)
``in_(options)``                     ``enum`` (of JSON values)
``optional(v)``, ``and_(...)``,      the constraints of what they wrap (``deep_iterable``'s
a list of validators,                members under ``items``)
``deep_iterable(member, iterable)``
==================================  ========================================================

Other validators (``instance_of``, your own functions) are not described. A field's
``metadata={"examples": [...]}`` becomes its schema's ``examples``.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["field_constraints", "validator_constraints"]

_BOUNDS = {">": "exclusiveMinimum", ">=": "minimum", "<": "exclusiveMaximum", "<=": "maximum"}
_LENGTHS = {"string": "Length", "array": "Items", "object": "Properties"}


def field_constraints(cls: type, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The constraints of field ``name`` of the attrs class (or dataclass) ``cls``: its
    validators' rules, and the ``examples`` its metadata lists (``metadata={"examples":
    ["widget"]}``: what a client, the docs page's "try it out" and schemathesis start from).
    ``schema`` is the field's schema so far (its ``type`` picks ``minLength``, ``minItems`` or
    ``minProperties``)."""
    out: dict[str, Any] = {}
    if attrs.has(cls):
        field = next((a for a in attrs.fields(cls) if (a.alias or a.name) == name), None)
        if field is None:
            return out
        metadata: Any = field.metadata
        if field.validator is not None:
            out.update(validator_constraints(field.validator, schema))
    elif dataclasses.is_dataclass(cls):
        metadata = next((f.metadata for f in dataclasses.fields(cls) if f.name == name), {})
    else:
        return out
    examples = metadata.get("examples")
    if isinstance(examples, (list, tuple)) and examples:
        out["examples"] = list(examples)
    return out


def validator_constraints(validator: Any, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema keywords that say what ``validator`` checks (see the module docs), for a
    value of ``schema`` (its ``type`` picks the length keywords)."""
    schema = schema or {}
    json_type = schema.get("type")
    out: dict[str, Any] = {}
    kind = type(validator).__name__
    if isinstance(validator, (list, tuple)) or kind == "_AndValidator":
        for inner in validator if isinstance(validator, (list, tuple)) else validator._validators:
            out.update(validator_constraints(inner, schema))
    elif kind == "_OptionalValidator":
        out.update(validator_constraints(validator.validator, schema))
    elif kind == "_NumberValidator" and validator.compare_op in _BOUNDS and _is_number(validator.bound):
        out[_BOUNDS[validator.compare_op]] = validator.bound
    elif kind in ("_MinLengthValidator", "_MaxLengthValidator"):
        prefix = "min" if kind == "_MinLengthValidator" else "max"
        size = validator.min_length if prefix == "min" else validator.max_length
        suffixes = [_LENGTHS[json_type]] if json_type in _LENGTHS else list(_LENGTHS.values())
        out.update({f"{prefix}{suffix}": size for suffix in suffixes})
    elif kind == "_MatchesReValidator" and isinstance(validator.pattern, re.Pattern):
        out["pattern"] = _anchored(validator.pattern, validator.match_func)
    elif kind == "_InValidator":
        values = [o.value if isinstance(o, enum.Enum) else o for o in validator.options]
        if all(v is None or isinstance(v, (str, int, float, bool)) for v in values):
            out["enum"] = values
    elif kind == "_DeepIterable":
        items = schema.get("items")
        members = validator_constraints(
            validator.member_validator, items if isinstance(items, Mapping) else None
        )
        if members:
            if not isinstance(items, Mapping):
                out["items"] = members
            else:
                out["items"] = (
                    {"allOf": [dict(items)], **members} if "$ref" in items else {**items, **members}
                )
        if validator.iterable_validator is not None:
            out.update(validator_constraints(validator.iterable_validator, {"type": "array"}))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _anchored(pattern: re.Pattern[str], match_func: Any) -> str:
    """The regex as JSON Schema reads it (a search): anchored as ``match_func`` matches."""
    # Python's own anchors and named groups, in ECMA-262's spelling
    source = pattern.pattern.replace(r"\Z", "$").replace(r"\A", "^").replace("(?P<", "(?<")
    name = getattr(match_func, "__name__", "fullmatch")
    if name == "search":
        return source
    if name == "match":
        return f"^(?:{source})"
    return f"^(?:{source})$"
