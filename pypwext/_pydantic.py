"""Pydantic v2 models beside attrs classes and dataclasses: everything pypwext knows of pydantic.

pydantic is optional, and this module never imports it: a class is a pydantic model only if
``pydantic.main`` is already in ``sys.modules`` (where it is as soon as any model exists) and
the class derives from its ``BaseModel``. A service without pydantic models never loads it.

What a pydantic model gets, with pydantic's own rules inside the model:

* **input** -- the shared converter (:mod:`pypwext.codec`) structures a model with
  ``Model.model_validate`` (so ``list[Model]``, ``Model | None``, ``dict[str, Model]``, a model
  inside an attrs class or dataclass, ``RootModel``, ``Annotated`` constraints, aliases and
  validators all work); a ``ValidationError`` becomes the same :class:`~pypwext.codec.InputError`
  as an attrs input's: one ``{path, reason}`` per bad field, the path in pypwext's syntax
  (``items[2].quantity``, from pydantic's ``loc``), the reason in pypwext's words (from the
  error's ``type``; never pydantic's text, URLs or the input's values), at most
  :data:`MAX_PROBLEMS` of them and a count of the rest;
* **output** -- ``model_dump(mode="json", by_alias=True)``: pydantic's serialiser, aliases and
  serialisers respected;
* **logs** -- a field declared ``Field(json_schema_extra={"classification": "PII"})`` (or
  ``InfoClassification.PII``; ``AUTHORIZATION_INFO`` alike) is masked like an attrs field with
  ``metadata={"classification": ...}`` (:func:`fields`);
* **OpenAPI** -- ``model_json_schema`` gives each model's component, constraints included
  (:func:`json_schema`).

This module imports :mod:`pypwext.codec` and registers its hooks on the converter when imported
(``import pypwext`` does it: the service, logging and OpenAPI modules import this one).
"""

from __future__ import annotations

import collections.abc
import functools
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pypwext import codec
from pypwext._problems import _MAX_KEY, MAX_PROBLEMS, _key, _short
from pypwext._problems import _reason as _exception_reason

__all__ = [
    "MAX_PROBLEMS",
    "Field",
    "dump",
    "field_names",
    "fields",
    "input_fields",
    "is_model_instance",
    "is_model_type",
    "json_schema",
    "problems",
    "structure_hook",
]

_UNION = "matches none of the accepted shapes"  # codec's sentence for a union nothing fits


def _base() -> type | None:
    main = sys.modules.get("pydantic.main")
    base = getattr(main, "BaseModel", None) if main is not None else None
    return base if isinstance(base, type) else None


def is_model_type(t: Any) -> bool:
    """Whether ``t`` is a pydantic ``BaseModel`` class (``RootModel`` included), without
    importing pydantic."""
    base = _base()
    if base is None or not isinstance(t, type):
        return False
    try:
        return issubclass(t, base)
    except TypeError:  # a generic alias that passes for a type
        return False


def is_model_instance(obj: Any) -> bool:
    """Whether ``obj`` is a pydantic model instance, without importing pydantic."""
    base = _base()
    return base is not None and isinstance(obj, base)


# --- input ----------------------------------------------------------------------------------


def structure_hook(t: type) -> Callable[[Any, Any], Any]:
    """The converter's structure hook for the pydantic model ``t``: ``t.model_validate``, its
    ``ValidationError`` turned into an :class:`~pypwext.codec.InputError`.

    Built when a service class is defined (its input type is checked then): a model that is
    not fully defined (an annotation naming a class that does not exist) fails there, with
    pydantic's message for the developer, not on a client's request."""
    from pydantic_core import ValidationError

    if not getattr(t, "__pydantic_complete__", True):
        t.model_rebuild()  # type: ignore[attr-defined]  # raises what is still undefined
    validate: Callable[[Any], Any] = t.model_validate  # type: ignore[attr-defined]

    def structure_model(value: Any, _: Any) -> Any:
        try:
            return validate(value)
        except ValidationError as exc:
            listed, more = problems(exc, t)
            raise codec.InputError(listed, more) from None

    return structure_model


def problems(exc: Any, model: Any, limit: int = MAX_PROBLEMS) -> tuple[list[codec.Problem], int]:
    """The first ``limit`` problems of a pydantic ``ValidationError`` raised by ``model``, in
    pydantic's order, each ``(path, reason)`` once; and how many errors pydantic found beyond
    them (counted, not described: a huge bad body costs no more than pydantic's own listing)."""
    found: list[codec.Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = exc.errors(include_url=False, include_input=False)
    for used, error in enumerate(errors, 1):
        loc = tuple(error.get("loc", ()))
        if all(isinstance(step, int) or len(step) <= _MAX_KEY for step in loc):
            path, in_union = _cached_path(model, loc)  # the same few locs, call after call
        else:
            path, in_union = _path(model, loc)
        reason = _UNION if in_union else _reason(error)
        if (path, reason) not in seen:
            seen.add((path, reason))
            found.append(codec.Problem(path, reason))
            if len(found) == limit:
                return found, len(errors) - used
    return found, 0


def _path(model: Any, loc: Iterable[Any]) -> tuple[str, bool]:
    """pydantic's ``loc`` as a pypwext path, walking the declared types beside it (to tell a
    mapping key from a field, and to stop at a union, whose members pydantic names in ``loc``);
    true when it stopped at a union."""
    path = ""
    tp: Any = model
    for step in loc:
        tp = _unwrap(tp)
        if _is_union(tp):
            return _short(path), True
        if step == "[key]":  # the key itself is bad: the path of its entry says which
            continue
        origin = typing.get_origin(tp) or tp
        if isinstance(step, int) and not _is_mapping(origin):
            path += f"[{step}]"
            tp = _item_type(tp, step)
        elif _is_mapping(origin):
            path += f"[{_key(step)}]"
            args = typing.get_args(tp)
            tp = args[1] if len(args) == 2 else None
        else:
            path = f"{path}.{_key(step)}" if path else _key(step)
            tp = _field_types(tp).get(str(step)) if isinstance(tp, type) else None
    return _short(path), False


@functools.lru_cache(maxsize=1024)
def _cached_path(model: Any, loc: tuple[Any, ...]) -> tuple[str, bool]:
    return _path(model, loc)


def _unwrap(tp: Any) -> Any:
    while True:
        if is_model_type(tp) and "root" in getattr(tp, "model_fields", {}) and _is_root(tp):
            tp = tp.model_fields["root"].annotation  # a RootModel: its errors are its root's
            continue
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:  # Optional[X]: pydantic's nullable X, no member in loc
                tp = members[0]
                continue
        return tp


def _is_root(tp: type) -> bool:
    return any(k.__name__ == "RootModel" and k.__module__ == "pydantic.root_model" for k in tp.__mro__)


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_mapping(origin: Any) -> bool:
    return isinstance(origin, type) and issubclass(origin, collections.abc.Mapping)


def _item_type(tp: Any, index: int) -> Any:
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        return args[index] if index < len(args) else None
    return args[0] if args else None


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """The names a field may have in ``loc`` (name, alias, validation alias) -> its type."""
    found = _FIELD_TYPES.get(cls)
    if found is None:
        found = {}
        if is_model_type(cls):
            for name, info in cls.model_fields.items():  # type: ignore[attr-defined]
                for key in (name, info.alias, info.validation_alias):
                    if isinstance(key, str):
                        found[key] = info.annotation
        else:  # a dataclass or TypedDict inside a model: its annotations
            try:
                found = dict(typing.get_type_hints(cls))
            except Exception:
                found = {}
        _FIELD_TYPES[cls] = found
    return found


# pydantic's error types -> pypwext's sentence ({names} come from the error's ctx: limits the
# model declares, never the input's values).
_REASONS: dict[str, str] = {
    "missing": "required field missing",
    "extra_forbidden": "unexpected field",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_parsing_size": "expected an integer of a reasonable size",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "decimal_type": "expected a decimal number",
    "decimal_parsing": "expected a decimal number",
    "decimal_max_digits": "expected at most {max_digits} digits",
    "decimal_max_places": "expected at most {decimal_places} decimal places",
    "decimal_whole_digits": "expected at most {whole_digits} digits before the point",
    "string_type": "expected a string",
    "string_sub_type": "expected a string",
    "string_unicode": "expected a string",
    "string_too_short": "expected at least {min_length} character(s)",
    "string_too_long": "expected at most {max_length} character(s)",
    "string_pattern_mismatch": "does not match the expected pattern",
    "bool_type": "expected a boolean",
    "bool_parsing": "expected a boolean",
    "none_required": "expected null",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dict_type": "expected an object",
    "mapping_type": "expected an object",
    "dataclass_type": "expected an object",
    "dataclass_exact_type": "expected an object",
    "list_type": "expected an array",
    "tuple_type": "expected an array",
    "set_type": "expected an array",
    "frozen_set_type": "expected an array",
    "iterable_type": "expected an array",
    "too_short": "expected at least {min_length} item(s)",
    "too_long": "expected at most {max_length} item(s)",
    "set_item_not_hashable": "expected distinct scalar items",
    "greater_than": "expected a value greater than {gt}",
    "greater_than_equal": "expected a value of at least {ge}",
    "less_than": "expected a value less than {lt}",
    "less_than_equal": "expected a value of at most {le}",
    "multiple_of": "expected a multiple of {multiple_of}",
    "enum": "expected one of {expected}",
    "literal_error": "expected one of {expected}",
    "date_type": "expected an ISO 8601 date (YYYY-MM-DD)",
    "date_parsing": "expected an ISO 8601 date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "expected an ISO 8601 date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "expected a date without a time of day",
    "date_past": "expected a date in the past",
    "date_future": "expected a date in the future",
    "datetime_type": "expected an ISO 8601 date-time",
    "datetime_parsing": "expected an ISO 8601 date-time",
    "datetime_from_date_parsing": "expected an ISO 8601 date-time",
    "datetime_object_invalid": "expected an ISO 8601 date-time",
    "datetime_past": "expected a date-time in the past",
    "datetime_future": "expected a date-time in the future",
    "timezone_naive": "expected a date-time without a time zone",
    "timezone_aware": "expected a date-time with a time zone",
    "timezone_offset": "expected a date-time in another time zone",
    "time_type": "expected an ISO 8601 time",
    "time_parsing": "expected an ISO 8601 time",
    "time_delta_type": "expected a duration",
    "time_delta_parsing": "expected a duration",
    "uuid_type": "expected a UUID",
    "uuid_parsing": "expected a UUID",
    "uuid_version": "expected a UUID of version {expected_version}",
    "bytes_type": "expected a string of bytes",
    "bytes_too_short": "expected at least {min_length} byte(s)",
    "bytes_too_long": "expected at most {max_length} byte(s)",
    "bytes_invalid_encoding": "expected encoded bytes",
    "url_type": "expected a URL",
    "url_parsing": "expected a URL",
    "url_syntax_violation": "expected a URL",
    "url_too_long": "expected a URL of at most {max_length} characters",
    "url_scheme": "expected a URL with another scheme",
    "json_invalid": "expected JSON text",
    "json_type": "expected JSON text",
    "union_tag_invalid": _UNION,
    "union_tag_not_found": _UNION,
    "frozen_field": "may not be set",
    "frozen_instance": "may not be set",
    "complex_type": "expected a complex number",
    "complex_str_parsing": "expected a complex number",
    "recursion_loop": "nested too deeply",
}


class _Limits(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _reason(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and isinstance(ctx.get("error"), BaseException):
        return _exception_reason(ctx["error"])  # a validator's ValueError: codec's rule for its text
    template = _REASONS.get(kind)
    if template is None:
        return "invalid value"
    limits = _Limits({k: _limit(v) for k, v in ctx.items()})
    return template.format_map(limits)


def _limit(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def field_names(model: Any) -> frozenset[str] | None:
    """The names an input model takes from query and path parameters (each field's alias, else
    its name); ``None`` when ``model`` is not a pydantic model (nor a ``RootModel``)."""
    if not is_model_type(model) or _is_root(model):
        return None
    return frozenset(input_fields(model))


def input_fields(model: Any) -> dict[str, tuple[Any, bool]]:
    """name (as in a request: the field's alias, else its name) -> (type, required) of an input
    model; empty for other types."""
    if not is_model_type(model) or _is_root(model):
        return {}
    out: dict[str, tuple[Any, bool]] = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        out[alias if isinstance(alias, str) else name] = (info.annotation, info.is_required())
    return out


# --- output ---------------------------------------------------------------------------------


def dump(obj: Any) -> Any:
    """A model instance as JSON-ready builtins: pydantic's serialiser, aliases respected."""
    return obj.model_dump(mode="json", by_alias=True)


# --- logs -----------------------------------------------------------------------------------


class Field(typing.NamedTuple):
    """A pydantic field as logging reads an attrs field: its name and its ``metadata``."""

    name: str
    metadata: Mapping[str, Any]


def fields(model: type) -> tuple[Field, ...]:
    """The fields of a pydantic model, each with ``metadata["classification"]`` when its
    ``json_schema_extra`` (a dict) names one -- what logging reads from an attrs field's
    ``metadata`` to mask its value."""
    out = []
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        extra = info.json_schema_extra
        found = extra.get("classification") if isinstance(extra, dict) else None
        out.append(Field(name, {"classification": found} if found is not None else {}))
    return tuple(out)


# --- OpenAPI --------------------------------------------------------------------------------


def json_schema(
    model: type, ref_template: str, mode: str = "validation"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON Schema of a model as a request (``mode="validation"``) or an answer
    (``"serialization"``) sees it -- a reference written by ``ref_template`` (``{model}`` is the
    name) -- and the schemas it refers to, constraints included. A model whose two schemas differ
    (a ``serialization_alias``, a computed field) is two schemas, ``Name-Input`` and
    ``Name-Output``, as pydantic names them. A field's classification shows as
    ``x-classification``."""
    from pydantic.json_schema import models_json_schema

    refs, top = models_json_schema(
        [(model, "validation"), (model, "serialization")],
        ref_template=ref_template,
        by_alias=True,
    )
    defs = top.get("$defs", {})
    for sub in defs.values():
        _classification_as_extension(sub)
    return dict(refs[(model, mode)]), defs  # type: ignore[index]


def _classification_as_extension(schema: Any) -> None:
    if isinstance(schema, dict):
        if "classification" in schema and not isinstance(schema["classification"], dict):
            value = schema.pop("classification")
            schema["x-classification"] = str(getattr(value, "value", value))
        for value in schema.values():
            _classification_as_extension(value)
    elif isinstance(schema, list):
        for value in schema:
            _classification_as_extension(value)


codec.converter.register_structure_hook_factory(is_model_type, structure_hook)
codec.converter.register_unstructure_hook_func(is_model_type, dump)
