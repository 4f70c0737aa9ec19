"""The one cattrs converter and the one JSON codec of pypwext.

Everything that turns data into objects or objects into JSON goes through here: request bodies,
responses, log entries, HTTP dependency bodies, direct-invoke documents. Having one place means
one set of rules:

* scalars are converted only when nothing is lost: ``"5"`` and ``5.0`` become the int ``5``, but
  ``5.5``, ``true`` or ``"five"`` are errors; a string field takes only strings;
* ``datetime``/``date`` are ISO 8601 strings (``Z`` accepted), ``UUID`` and ``Decimal`` are
  strings (a Decimal keeps its precision), ``bytes`` are base64;
* attrs classes and dataclasses are JSON objects; a class decorated with :func:`strict` rejects
  fields it does not declare;
* a structuring failure raises :class:`InputError`, whose ``problems`` name the bad fields by
  their path (``items[2].quantity``) and say what is wrong with each: the first
  :data:`MAX_PROBLEMS`, in document order, and ``more`` counts the others (structuring stops
  after :data:`MAX_COUNTED_PROBLEMS`, so a bad input of any size costs time linear in its size);
* numbers are numbers a service can compute with: no NaN or Infinity in or out, a ``Decimal``
  within :data:`DECIMAL_MAX_DIGITS` digits and :data:`DECIMAL_MAX_EXPONENT`; an enum field takes
  only its members' values;
* :func:`loads` refuses JSON nested deeper than :data:`MAX_DEPTH`, NaN/Infinity, numbers out of
  range and unpaired surrogates with a :class:`DecodeError` in pypwext's own words;
  :func:`dumps` is strict JSON and raises :class:`EncodeError` for what it cannot encode.

Its parts live in ``pypwext._scalars`` (the scalar rules), ``pypwext._problems`` (InputError and
its bounded problems) and ``pypwext._jsontext`` (decoding); use them through this module.
It imports nothing else of pypwext.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    StructureHandlerNotFoundError,
)
from cattrs.gen import make_dict_structure_fn, make_hetero_tuple_structure_fn

from pypwext._jsontext import MAX_DEPTH, DecodeError, loads, valid_text
from pypwext._problems import (
    _BUDGET,
    MAX_COUNTED_PROBLEMS,
    MAX_PROBLEMS,
    InputError,
    Problem,
    _Found,
    _key,
    _model_error,
)
from pypwext._scalars import (
    DECIMAL_MAX_DIGITS,
    DECIMAL_MAX_EXPONENT,
    _describe,
    _int_digits_limit,
    _is_loaded_subclass,
    _loaded_class,
    _structure_bool,
    _structure_bytes,
    _structure_date,
    _structure_datetime,
    _structure_decimal,
    _structure_enum,
    _structure_float,
    _structure_int,
    _structure_str,
    _structure_uuid,
    describe,
)
from pypwext._scalars import base64_bytes as base64_bytes  # (the wire's too; not in __all__)
from pypwext._scalars import base64_text as base64_text
from pypwext.base import CONFIDENTIAL

__all__ = [
    "DECIMAL_MAX_DIGITS",
    "DECIMAL_MAX_EXPONENT",
    "MAX_COUNTED_PROBLEMS",
    "MAX_DEPTH",
    "MAX_PROBLEMS",
    "DecodeError",
    "EncodeError",
    "InputError",
    "Problem",
    "converter",
    "describe",
    "dumps",
    "json_form",
    "loads",
    "loads_own",
    "strict",
    "structure",
    "to_jsonable",
    "unstructure",
    "valid_text",
]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=True)
"""The shared cattrs converter. Register hooks for your own types on it, not on a new one."""

_STRICT_ATTR = "__pypwext_strict__"

for _public in (InputError, Problem, DecodeError, describe, loads):  # named where users find them
    _public.__module__ = __name__


class EncodeError(ValueError, TypeError):
    """:func:`dumps` cannot encode a value as strict JSON (an unknown type, NaN or Infinity, a
    cycle, an integer too long for text); the message says which. Also a ``TypeError``, what
    the ``json`` module raises for an unknown type."""


def strict(cls: type[T]) -> type[T]:
    """Make an attrs class or dataclass reject fields it does not declare.

    >>> @strict
    ... @attrs.frozen
    ... class Point:
    ...     x: int
    >>> structure({"x": 1, "y": 2}, Point)
    Traceback (most recent call last):
    ...
    pypwext.codec.InputError: y: unexpected field
    """
    if not (attrs.has(cls) or dataclasses.is_dataclass(cls)):
        raise TypeError(f"strict() takes an attrs class or a dataclass, not {cls!r}")
    setattr(cls, _STRICT_ATTR, True)
    return cls  # type: ignore[return-value]  # attrs.has() narrows it to AttrsInstance


for _type, _hook in (
    (int, _structure_int),
    (float, _structure_float),
    (str, _structure_str),
    (bool, _structure_bool),
    (bytes, _structure_bytes),
):
    converter.register_structure_hook(_type, _hook)
# datetime, Decimal and UUID are imported by the services that use them, not by pypwext: a
# field of such a type exists only once its module is loaded. (Later registrations are tried
# first: datetime, a subclass of date, after date.)
converter.register_structure_hook_func(_is_loaded_subclass("datetime", "date"), _structure_date)
converter.register_structure_hook_func(_is_loaded_subclass("datetime", "datetime"), _structure_datetime)
converter.register_structure_hook_func(_is_loaded_subclass("decimal", "Decimal"), _structure_decimal)
converter.register_structure_hook_func(_is_loaded_subclass("uuid", "UUID"), _structure_uuid)
converter.register_structure_hook_func(
    lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
)

converter.register_unstructure_hook_func(_is_loaded_subclass("datetime", "date"), lambda v: v.isoformat())
converter.register_unstructure_hook_func(_is_loaded_subclass("uuid", "UUID"), str)
converter.register_unstructure_hook_func(_is_loaded_subclass("decimal", "Decimal"), str)
converter.register_unstructure_hook(bytes, base64_text)


# --- container hooks: the wrong JSON shape is refused before anything iterates it, and a
# failure becomes an InputError with paths relative to the container, at most MAX_PROBLEMS of
# them: nothing holds on to one exception per bad element (what made a 150 KB body of bad
# items cost seconds and answer megabytes), and every container stops at its next bad element
# once the structuring has found MAX_COUNTED_PROBLEMS.


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and (attrs.has(t) or dataclasses.is_dataclass(t))


def _model_hook(t: type) -> Callable[[Any, Any], Any]:
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
        t, converter, _cattrs_forbid_extra_keys=bool(t.__dict__.get(_STRICT_ATTR))
    )
    fields: Any = attrs.fields(t) if attrs.has(t) else dataclasses.fields(t)
    classified = frozenset(f.name for f in fields if f.metadata.get("classification") in CONFIDENTIAL)
    declared = tuple(f.name for f in fields)

    def structure_model(value: Any, cl: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {_describe(value)}")
        try:
            return inner(value, cl)
        except (ClassValidationError, ForbiddenExtraKeysError) as exc:
            failed = exc
        # Raised outside the except block, so that nothing is chained to it, and not bound to a
        # name of this frame, which its traceback holds (a reference cycle)
        raise _model_error(failed, value, declared, classified)

    return structure_model


def _is_array(t: Any) -> bool:
    origin = getattr(t, "__origin__", None)
    return origin in (list, tuple, set, frozenset) or t in (list, tuple, set, frozenset)


def _element_hook(t: Any) -> tuple[Callable[[Any, Any], Any], Any]:
    try:
        return converter.get_structure_hook(t), t
    except RecursionError:  # a type that contains itself: look the hook up when it runs
        return converter.structure, t


def _array_hook(t: Any) -> Callable[[Any, Any], Any]:
    origin = getattr(t, "__origin__", t)
    args = getattr(t, "__args__", ())
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        inner: Callable[[Any, Any], Any] = make_hetero_tuple_structure_fn(t, converter)

        def structure_fixed(value: Any, cl: Any) -> Any:  # as many elements as the type says
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"expected an array, got {_describe(value)}")
            try:
                return inner(value, cl)
            except IterableValidationError as exc:
                found = _Found()
                found.add(exc, "")
            raise found.error()

        return structure_fixed
    build: Callable[[Any], Any] = {tuple: tuple, set: set, frozenset: frozenset}.get(origin, list)
    if not args or args[0] in (Any, object):

        def structure_any(value: Any, cl: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"expected an array, got {_describe(value)}")
            return build(value)

        return structure_any
    hook, elem_type = _element_hook(args[0])

    def structure_array(value: Any, cl: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"expected an array, got {_describe(value)}")
        out = []
        found = None
        for index, item in enumerate(value):
            try:
                out.append(hook(item, elem_type))
            except Exception as exc:
                if found is None:
                    found = _Found()
                if found.add(exc, f"[{index}]"):
                    break
        if found is not None:
            raise found.error()
        return out if build is list else build(out)

    return structure_array


def _is_object_map(t: Any) -> bool:
    return getattr(t, "__origin__", None) is dict or t is dict


def _map_hook(t: Any) -> Callable[[Any, Any], Any]:
    args = getattr(t, "__args__", ())
    if not args or (args[0] in (Any, object) and args[1] in (Any, object)):

        def structure_any(value: Any, cl: Any) -> Any:
            if type(value) is not dict and not isinstance(value, Mapping):
                raise ValueError(f"expected an object, got {_describe(value)}")
            return dict(value)

        return structure_any
    key_hook, key_type = _element_hook(args[0])
    value_hook, value_type = _element_hook(args[1])

    def structure_map(value: Any, cl: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {_describe(value)}")
        out = {}
        found = None
        for key, item in value.items():
            try:
                out[key_hook(key, key_type)] = value_hook(item, value_type)
            except Exception as exc:
                if found is None:
                    found = _Found()
                if found.add(exc, f"[{_key(key)}]"):
                    break
        if found is not None:
            raise found.error()
        return out

    return structure_map


converter.register_structure_hook_factory(_is_model, _model_hook)
converter.register_structure_hook_factory(_is_array, _array_hook)
converter.register_structure_hook_factory(_is_object_map, _map_hook)


# --- structuring with problems by path ------------------------------------------------------


def structure(data: Any, cl: type[T] | Any) -> T:
    """Turn JSON-like ``data`` into an instance of ``cl`` with the shared converter.

    Raises :class:`InputError` naming the problems by field path (the first
    :data:`MAX_PROBLEMS`, in document order, and how many more).

    >>> @attrs.frozen
    ... class Item:
    ...     id: int
    ...     quantity: int
    >>> structure([{"id": 1, "quantity": "2"}], list[Item])
    [Item(id=1, quantity=2)]
    >>> structure([{"id": 1}], list[Item])
    Traceback (most recent call last):
    ...
    pypwext.codec.InputError: [0].quantity: required field missing
    """
    try:
        result = converter.structure(data, cl)
    except (StructureHandlerNotFoundError, InputError):
        _BUDGET.set(None)
        raise
    except Exception as exc:  # a scalar at the top, or a hook of cattrs' own (a union, ...)
        failed = exc
    else:
        if _BUDGET.get() is not None:  # a failure that a hook caught and got over (a union's try)
            _BUDGET.set(None)
        return result  # type: ignore[no-any-return]
    found = _Found()
    found.add(failed, "")
    _BUDGET.set(None)
    raise found.error()  # (outside the except block, not bound to a name: see _model_hook)


def unstructure(obj: Any) -> Any:
    """Turn an object into JSON-ready builtins with the shared converter."""
    return converter.unstructure(obj)


# --- JSON -----------------------------------------------------------------------------------


_AS_STRING = (("decimal", "Decimal"), ("uuid", "UUID"))


def to_jsonable(obj: Any) -> Any:
    """The JSON-ready form of one object the ``json`` module cannot encode by itself (the
    ``default`` of :func:`dumps`); :class:`EncodeError` when there is none."""
    if attrs.has(type(obj)) or (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
        return converter.unstructure(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    dates = sys.modules.get("datetime")  # (no date, time or datetime exists before it is loaded)
    if dates is not None and isinstance(obj, (dates.date, dates.time)):  # (datetime is a date)
        return str(obj.isoformat())
    for module, name in _AS_STRING:
        cls = _loaded_class(module, name)
        if cls is not None and isinstance(obj, cls):
            return str(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return base64_text(obj)
    if isinstance(obj, (set, frozenset)):
        try:
            return sorted(obj)
        except TypeError:
            return list(obj)
    if callable(getattr(obj, "model_dump", None)):  # pydantic v2: the hook pypwext._pydantic registers
        return converter.unstructure(obj)
    to_dict = getattr(obj, "dict", None)  # SupportsToCuratedDict (PyPwExt, pydantic v1)
    if callable(to_dict):
        return to_dict()
    to_json = getattr(obj, "json", None)  # SupportsToJson
    if callable(to_json):
        text = to_json()
        if not isinstance(text, (str, bytes, bytearray)):
            raise EncodeError(f"{type(obj).__name__}.json() returned {type(text).__name__}, not JSON text")
        return loads(text)
    raise EncodeError(f"{type(obj).__name__} is not JSON serialisable")


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=to_jsonable, allow_nan=False)


def _one_shot_encoder() -> Callable[[Any, int], Any] | None:
    """The C encoder ``_encoder`` builds on every call, built once (``None`` where the json
    module has no C accelerator, or a different one: then ``_encoder`` does the work)."""
    import json.encoder as _json_encoder

    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encode: Callable[[Any, int], Any] = make(
            None, to_jsonable, _json_encoder.encode_basestring, None, ":", ",", False, False, False
        )
        if "".join(encode({"a": [1, 2.5, None, True, "\u00e9"]}, 0)) != _encoder.encode(
            {"a": [1, 2.5, None, True, "\u00e9"]}
        ):
            return None
    except Exception:
        return None
    return encode


_c_encode = _one_shot_encoder()


def dumps(obj: Any) -> str:
    """Encode ``obj`` as compact, strict JSON.

    Handles attrs instances, dataclasses, enums, datetimes, Decimal, UUID, bytes (base64), sets
    and objects with PyPwExt's ``dict()``/``json()`` protocols. Anything else, NaN or Infinity,
    a cycle or an integer too long for text raises :class:`EncodeError`.

    >>> import datetime
    >>> from decimal import Decimal
    >>> dumps({"when": datetime.date(2024, 1, 2), "amount": Decimal("1.10")})
    '{"when":"2024-01-02","amount":"1.10"}'
    >>> dumps(float("nan"))
    Traceback (most recent call last):
    ...
    pypwext.codec.EncodeError: NaN and Infinity cannot be encoded as JSON
    """
    try:
        if _c_encode is None:
            return _encoder.encode(obj)
        return "".join(_c_encode(obj, 0))
    except EncodeError:
        raise
    except RecursionError:  # (no check for cycles on this path: a cycle ends here)
        raise EncodeError("a circular or too deeply nested value cannot be encoded as JSON") from None
    except (ValueError, TypeError) as exc:
        raise EncodeError(_encode_reason(exc)) from exc


def json_form(value: Any) -> Any:
    """The JSON value of ``value`` as pypwext writes it: what a client, or the Lambda runtime,
    reads back from :func:`dumps` (:func:`loads_own` of its text).

    The one round trip for pypwext's own output (a direct-invoke document, an EventBridge
    service's result, a batch answer, an idempotent result kept for a replay).

    >>> import datetime
    >>> json_form({"on": datetime.date(2024, 1, 2), "tags": {"a"}})
    {'on': '2024-01-02', 'tags': ['a']}
    """
    return loads_own(dumps(value))


def loads_own(text: str) -> Any:
    """The JSON value of ``text`` that pypwext wrote itself (:func:`dumps`' output), with every
    lone surrogate replaced (:func:`valid_text`). Parsed by the standard library, without the
    checks :func:`loads` holds a client's input to: a result nested deeper than a client may send
    still goes out.

    >>> loads_own('{"a":[1,2]}')
    {'a': [1, 2]}
    """
    return json.loads(valid_text(text))


def _encode_reason(exc: Exception) -> str:
    text = str(exc)
    if "float" in text and "JSON compliant" in text:
        return "NaN and Infinity cannot be encoded as JSON"
    if "integer string conversion" in text:
        return f"an integer of more than {_int_digits_limit()} digits cannot be encoded as JSON"
    if text.startswith("keys must be"):
        return "an object key must be a string, a number, a boolean or null"
    return "the value cannot be encoded as JSON"


dumps_str: Callable[[str], str] = json.encoder.encode_basestring
"""``dumps(text)`` for a ``str`` (the same JSON string), without the encoder's set-up: for the
log line's message, which is a string on nearly every entry."""
