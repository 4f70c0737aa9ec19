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
* a structuring failure raises :class:`InputError`, whose ``problems`` name every bad field by
  its path (``items[2].quantity``) and say what is wrong with it.

This module imports nothing of pypwext.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as _dt
import enum
import json
import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory, mapping_structure_factory
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    StructureHandlerNotFoundError,
)
from cattrs.gen import make_dict_structure_fn, make_hetero_tuple_structure_fn

if TYPE_CHECKING:
    import uuid
    from decimal import Decimal

__all__ = [
    "InputError",
    "Problem",
    "converter",
    "dumps",
    "loads",
    "strict",
    "structure",
    "to_jsonable",
    "unstructure",
]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=True)
"""The shared cattrs converter. Register hooks for your own types on it, not on a new one."""

_STRICT_ATTR = "__pypwext_strict__"


@attrs.frozen
class Problem:
    """One thing wrong with an input: where (``items[2].quantity``; ``""`` is the whole input)
    and why (``expected an integer``)."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """The problem as it appears in an error's details."""
        return {"path": self.path, "reason": self.reason}


class InputError(ValueError):
    """Raised by :func:`structure` when data does not fit a type; lists every problem."""

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        self.problems = problems
        self.more = more  # problems found beyond those listed
        super().__init__("; ".join(f"{p.path or '<input>'}: {p.reason}" for p in problems))

    def details(self) -> dict[str, Any]:
        """The ``details`` of the 400 this error becomes: ``{"problems": [...]}``, plus
        ``"more": n`` when there were more problems than listed."""
        found: dict[str, Any] = {"problems": [p.to_dict() for p in self.problems]}
        if self.more:
            found["more"] = self.more
        return found


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


# --- scalar hooks: convert only without loss ------------------------------------------------

_INT_RE = re.compile(r"[+-]?\d+\Z")


def _structure_int(value: Any, _: type) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value)
    raise ValueError(f"expected an integer, got {_describe(value)}")


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"expected a number, got {_describe(value)}")


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"expected a string, got {_describe(value)}")


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ValueError(f"expected a boolean, got {_describe(value)}")


# decimal and uuid are imported by the code that uses them, not here (a cold start pays for
# each import): their hooks look the class up in sys.modules, where it is whenever a type
# annotation or a value names it.


def _loaded_class(module: str, name: str) -> type | None:
    found = sys.modules.get(module)
    return getattr(found, name, None) if found is not None else None


def _is_loaded_subclass(module: str, name: str) -> Callable[[Any], bool]:
    def predicate(t: Any) -> bool:
        cls = _loaded_class(module, name)
        return cls is not None and isinstance(t, type) and issubclass(t, cls)

    return predicate


def _structure_decimal(value: Any, cl: type) -> Decimal:
    from decimal import Decimal, InvalidOperation

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a decimal number, got {_describe(value)}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"expected a decimal number, got {_describe(value)}") from None
    if not result.is_finite():
        raise ValueError("expected a finite decimal number")
    return result


def _parse_iso(value: Any, kind: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 {kind} string, got {_describe(value)}")
    return value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value


def _structure_datetime(value: Any, _: type) -> _dt.datetime:
    text = _parse_iso(value, "date-time")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date-time, got {value!r}") from None


def _structure_date(value: Any, _: type) -> _dt.date:
    text = _parse_iso(value, "date")
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date (YYYY-MM-DD), got {value!r}") from None


def _structure_uuid(value: Any, _: type) -> uuid.UUID:
    import uuid

    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValueError(f"expected a UUID, got {_describe(value)}")


def _structure_bytes(value: Any, _: type) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise ValueError(f"expected base64-encoded bytes, got {_describe(value)}")


def _structure_enum(value: Any, cl: type[enum.Enum]) -> enum.Enum:
    try:
        return cl(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cl)
        raise ValueError(f"expected one of {allowed}, got {_describe(value)}") from None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value!r}" if len(repr(value)) <= 20 else "a number"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 20 else "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


for _type, _hook in (
    (int, _structure_int),
    (float, _structure_float),
    (str, _structure_str),
    (bool, _structure_bool),
    (_dt.datetime, _structure_datetime),
    (_dt.date, _structure_date),
    (bytes, _structure_bytes),
):
    converter.register_structure_hook(_type, _hook)
converter.register_structure_hook_func(_is_loaded_subclass("decimal", "Decimal"), _structure_decimal)
converter.register_structure_hook_func(_is_loaded_subclass("uuid", "UUID"), _structure_uuid)
converter.register_structure_hook_func(
    lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
)

converter.register_unstructure_hook(_dt.datetime, lambda v: v.isoformat())
converter.register_unstructure_hook(_dt.date, lambda v: v.isoformat())
converter.register_unstructure_hook_func(_is_loaded_subclass("uuid", "UUID"), str)
converter.register_unstructure_hook_func(_is_loaded_subclass("decimal", "Decimal"), str)
converter.register_unstructure_hook(bytes, lambda v: base64.b64encode(v).decode("ascii"))


# --- container hooks: refuse the wrong JSON shape before cattrs iterates it -----------------


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and (attrs.has(t) or dataclasses.is_dataclass(t))


def _model_hook(t: type) -> Callable[[Any, Any], Any]:
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
        t, converter, _cattrs_forbid_extra_keys=bool(t.__dict__.get(_STRICT_ATTR))
    )

    def structure_model(value: Any, cl: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {_describe(value)}")
        return inner(value, cl)

    return structure_model


def _is_array(t: Any) -> bool:
    origin = getattr(t, "__origin__", None)
    return origin in (list, tuple, set, frozenset) or t in (list, tuple, set, frozenset)


def _array_hook(t: Any) -> Callable[[Any, Any], Any]:
    origin = getattr(t, "__origin__", t)
    args = getattr(t, "__args__", ())
    inner: Callable[[Any, Any], Any]
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        inner = make_hetero_tuple_structure_fn(t, converter)
    elif origin is tuple:
        inner = homogenous_tuple_structure_factory(t, converter)
    elif origin in (set, frozenset):
        inner = converter._structure_set  # cattrs' own set builder
    else:
        inner = list_structure_factory(t, converter)

    def structure_array(value: Any, cl: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"expected an array, got {_describe(value)}")
        return inner(value, cl)

    return structure_array


def _is_object_map(t: Any) -> bool:
    return getattr(t, "__origin__", None) is dict or t is dict


def _map_hook(t: Any) -> Callable[[Any, Any], Any]:
    inner = mapping_structure_factory(t, converter)

    def structure_map(value: Any, cl: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {_describe(value)}")
        return inner(value, cl)

    return structure_map


converter.register_structure_hook_factory(_is_model, _model_hook)
converter.register_structure_hook_factory(_is_array, _array_hook)
converter.register_structure_hook_factory(_is_object_map, _map_hook)


# --- structuring with problems by path ------------------------------------------------------


def structure(data: Any, cl: type[T] | Any) -> T:
    """Turn JSON-like ``data`` into an instance of ``cl`` with the shared converter.

    Raises :class:`InputError` listing every problem by field path.

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
        return converter.structure(data, cl)  # type: ignore[no-any-return]
    except (StructureHandlerNotFoundError, InputError):  # (a hook's own: pydantic's problems)
        raise
    except (ClassValidationError, IterableValidationError) as exc:
        raise InputError(_problems(exc, "")) from None
    except ForbiddenExtraKeysError as exc:
        raise InputError(_extra_problems(exc, "")) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InputError([Problem("", _reason(exc))]) from None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _problems(exc: BaseException, path: str) -> list[Problem]:
    found: list[Problem] = []
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            if isinstance(note, cattrs.AttributeValidationNote):
                sub_path = _join(path, note.name)
            else:
                sub_path = f"{path}[{note.index}]"
            found.extend(_problems(sub, sub_path))
        for sub in without:
            found.extend(_problems(sub, path))
    elif isinstance(exc, ForbiddenExtraKeysError):
        found.extend(_extra_problems(exc, path))
    elif isinstance(exc, InputError):  # a hook's own problems (a pydantic model's), inside this path
        for inner in exc.problems:
            sep = "." if path and inner.path and not inner.path.startswith("[") else ""
            found.append(Problem(path + sep + inner.path, inner.reason))
    else:
        found.append(Problem(path, _reason(exc)))
    return found


def _extra_problems(exc: ForbiddenExtraKeysError, path: str) -> list[Problem]:
    return [Problem(_join(path, str(name)), "unexpected field") for name in sorted(exc.extra_fields)]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, (ValueError, TypeError)) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
        if text.startswith(("expected", "unexpected")):
            return text
        if "not a valid" in text or "could not" in text.lower():
            return text
        if text == "Couldn't disambiguate":  # cattrs: a union of classes, none of which fits
            return "matches none of the accepted shapes"
        if text == "Only input mappings are supported":
            return "expected an object"
    if isinstance(exc, AttributeError | TypeError):
        return "wrong type"
    return "invalid value"


def unstructure(obj: Any) -> Any:
    """Turn an object into JSON-ready builtins with the shared converter."""
    return converter.unstructure(obj)


# --- JSON -----------------------------------------------------------------------------------


_AS_STRING = (("decimal", "Decimal"), ("uuid", "UUID"))


def to_jsonable(obj: Any) -> Any:
    """The JSON-ready form of one object the ``json`` module cannot encode by itself (the
    ``default`` of :func:`dumps`); ``TypeError`` when there is none."""
    if attrs.has(type(obj)) or (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
        return converter.unstructure(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (_dt.datetime, _dt.date, _dt.time)):
        return obj.isoformat()
    for module, name in _AS_STRING:
        cls = _loaded_class(module, name)
        if cls is not None and isinstance(obj, cls):
            return str(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(obj)).decode("ascii")
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
        return json.loads(to_json())
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=to_jsonable)


def _one_shot_encoder() -> Callable[[Any, int], Any] | None:
    """The C encoder ``_encoder`` builds on every call, built once (``None`` where the json
    module has no C accelerator, or a different one: then ``_encoder`` does the work)."""
    import json.encoder as _json_encoder

    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encode: Callable[[Any, int], Any] = make(
            None, to_jsonable, _json_encoder.encode_basestring, None, ":", ",", False, False, True
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
    """Encode ``obj`` as compact JSON.

    Handles attrs instances, dataclasses, enums, datetimes, Decimal, UUID, bytes (base64), sets
    and objects with PyPwExt's ``dict()``/``json()`` protocols.

    >>> from decimal import Decimal
    >>> dumps({"when": _dt.date(2024, 1, 2), "amount": Decimal("1.10")})
    '{"when":"2024-01-02","amount":"1.10"}'
    """
    if _c_encode is None:
        return _encoder.encode(obj)
    try:
        return "".join(_c_encode(obj, 0))
    except RecursionError:  # (no check for cycles on this path: a cycle ends here)
        raise ValueError("a circular or too deeply nested value cannot be encoded as JSON") from None


dumps_str: Callable[[str], str] = json.encoder.encode_basestring
"""``dumps(text)`` for a ``str`` (the same JSON string), without the encoder's set-up: for the
log line's message, which is a string on nearly every entry."""


def loads(data: str | bytes | bytearray) -> Any:
    """Decode JSON text; raises ``ValueError`` (``json.JSONDecodeError``) when malformed."""
    if type(data) is str:
        try:  # a value from the first character to the last: the scanner alone (every body)
            value, end = _scan(data, 0)
        except StopIteration:  # leading whitespace, or no value: the decoder says which
            return _decoder.decode(data)
        if end == len(data):
            return value
        return _decoder.decode(data)  # trailing whitespace, or extra data
    return json.loads(data)


_decoder = json.JSONDecoder()
_scan: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]
