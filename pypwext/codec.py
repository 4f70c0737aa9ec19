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
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from itertools import accumulate
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import cattrs
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
    "loads",
    "strict",
    "structure",
    "to_jsonable",
    "unstructure",
]

T = TypeVar("T")

MAX_PROBLEMS = 20
"""How many problems an :class:`InputError` (and so a 400's ``details.problems``) lists: the
first ones, in document order; ``more`` counts the others."""

MAX_COUNTED_PROBLEMS = 1000
"""Structuring stops looking once it has found this many problems, so a ``more`` of
``MAX_COUNTED_PROBLEMS - MAX_PROBLEMS`` or above means *at least* that many."""

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects :func:`loads` accepts (``[[1]]`` is 2 deep)."""

DECIMAL_MAX_DIGITS = 34
"""The most significant digits a ``Decimal`` field takes (IEEE 754 decimal128's precision)."""

DECIMAL_MAX_EXPONENT = 6144
"""A ``Decimal`` field takes magnitudes from ``1E-6144`` to below ``1E+6145`` (decimal128's
range): the product of two such numbers stays far inside Python's default context, so user
arithmetic never raises ``decimal.Overflow``."""

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
    """Raised by :func:`structure` when data does not fit a type.

    ``problems`` lists the first :data:`MAX_PROBLEMS` problems in document order, ``more`` how
    many others were found (a lower bound when structuring stopped looking, see
    :data:`MAX_COUNTED_PROBLEMS`).
    """

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        self.more = more + max(0, len(problems) - MAX_PROBLEMS)
        text = "; ".join(f"{p.path or '<input>'}: {p.reason}" for p in self.problems)
        super().__init__(f"{text}; and {self.more} more" if self.more else text)

    def details(self) -> dict[str, Any]:
        """The ``details`` of the 400 this error becomes: ``{"problems": [...]}``, plus
        ``"more": n`` when there were more problems than listed."""
        found: dict[str, Any] = {"problems": [p.to_dict() for p in self.problems]}
        if self.more:
            found["more"] = self.more
        return found


class DecodeError(ValueError):
    """:func:`loads` refused its input; the message is pypwext's own sentence, fit for a client."""


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


# --- scalar hooks: convert only without loss ------------------------------------------------

_INT_RE = re.compile(r"[+-]?\d+\Z")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


def _int_digits_limit() -> int:
    limit: int = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
    return limit or 4300  # 0 means no limit: pypwext keeps Python's default, not quadratic time


def _structure_int(value: Any, cl: Any) -> Any:
    if type(value) is int:
        if cl is not int and isinstance(cl, enum.EnumMeta):
            return _structure_enum(value, cl)
        return value
    if cl is not int and isinstance(cl, enum.EnumMeta):
        return _structure_enum(value, cl)
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        if len(value) > _int_digits_limit():
            raise ValueError(f"expected an integer of at most {_int_digits_limit()} digits")
        return int(value)
    raise ValueError(f"expected an integer, got {_describe(value)}")


def _structure_float(value: Any, cl: Any) -> Any:
    if cl is not float and isinstance(cl, enum.EnumMeta):
        return _structure_enum(value, cl)
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, float):
        if value - value == 0.0:  # neither NaN nor an infinity
            return value
        raise ValueError("expected a finite number")
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            raise ValueError("expected a finite number (this one is too large)") from None
    if isinstance(value, str) and len(value) <= 1000 and _FLOAT_RE.match(value.strip()):
        result = float(value)  # (the pattern has no nan, inf or infinity: JSON has none)
        if result - result == 0.0:
            return result
        raise ValueError("expected a finite number (this one is too large)")
    raise ValueError(f"expected a number, got {_describe(value)}")


def _structure_str(value: Any, cl: Any) -> Any:
    if cl is not str and isinstance(cl, enum.EnumMeta):
        return _structure_enum(value, cl)
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
    if isinstance(value, str) and len(value) > 2 * DECIMAL_MAX_DIGITS + 16:  # (before any work)
        raise ValueError(_DECIMAL_RANGE)
    if isinstance(value, int) and value.bit_length() > 4 * DECIMAL_MAX_DIGITS:  # (before str())
        raise ValueError(_DECIMAL_RANGE)
    try:
        result = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise ValueError(f"expected a decimal number, got {_describe(value)}") from None
    if not result.is_finite():
        raise ValueError("expected a finite decimal number")
    shape = result.as_tuple()
    if (
        len(shape.digits) > DECIMAL_MAX_DIGITS
        or result.adjusted() > DECIMAL_MAX_EXPONENT
        or int(shape.exponent) < -DECIMAL_MAX_EXPONENT
    ):
        raise ValueError(_DECIMAL_RANGE)
    return result


_DECIMAL_RANGE = (
    f"expected a decimal number of at most {DECIMAL_MAX_DIGITS} digits, "
    f"between 1E-{DECIMAL_MAX_EXPONENT} and 1E+{DECIMAL_MAX_EXPONENT + 1}"
)


def _parse_iso(value: Any, kind: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 {kind} string, got {_describe(value)}")
    return value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value


def _structure_datetime(value: Any, _: type) -> _dt.datetime:
    text = _parse_iso(value, "date-time")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date-time, got {_quoted(value)}") from None


def _structure_date(value: Any, _: type) -> _dt.date:
    text = _parse_iso(value, "date")
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date (YYYY-MM-DD), got {_quoted(value)}") from None


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


def _structure_enum(value: Any, cl: Any) -> Any:
    """A member of ``cl`` by its value; an ``IntEnum`` or ``(int, Enum)`` also takes the integer
    as text (``"2"``, what a query string sends), never a boolean or any other integer."""
    if isinstance(value, bool) and not any(type(m.value) is bool for m in cl):
        raise ValueError(f"expected one of {_allowed(cl)}, got a boolean")
    if issubclass(cl, int) and isinstance(value, str) and len(value) <= 100 and _INT_RE.match(value.strip()):
        value = int(value)
    try:
        return cl(value)
    except (ValueError, TypeError):
        raise ValueError(f"expected one of {_allowed(cl)}, got {_describe(value)}") from None


def _allowed(cl: type[enum.Enum]) -> str:
    members = list(cl)
    shown = ", ".join(repr(m.value) for m in members[:10])
    return shown if len(members) <= 10 else f"{shown} (and {len(members) - 10} more)"


def _quoted(text: str) -> str:
    return repr(text) if len(text) <= 20 else "a longer string"


def describe(value: Any) -> str:
    """What a JSON value is, in a client's words (``the number 5``, ``a string``, ``an object``):
    short values are quoted, long ones only named, so a reason never echoes a large input."""
    return _describe(value)


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
    return "a value JSON does not have"


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


# --- container hooks: the wrong JSON shape is refused before anything iterates it, and a
# failure becomes an InputError with paths relative to the container, at most MAX_PROBLEMS of
# them: nothing holds on to one exception per bad element (what made a 150 KB body of bad
# items cost seconds and answer megabytes), and every container stops at its next bad element
# once the structuring has found MAX_COUNTED_PROBLEMS.


class _Budget:
    """The problems one :func:`structure` call has found so far (each counted once)."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("pypwext_structure_budget", default=None)


class _Found:
    """The problems of one failing value: the first MAX_PROBLEMS, and how many in all."""

    __slots__ = ("budget", "count", "problems")

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.count = 0
        self.budget = _BUDGET.get() or _Budget()

    def add(self, exc: BaseException, path: str) -> bool:
        """Record the problems of ``exc`` at ``path``; true once the structuring should stop."""
        if isinstance(exc, InputError):  # a nested container or class: counted when it was found
            room = MAX_PROBLEMS - len(self.problems)
            for problem in exc.problems[:room] if room > 0 else ():
                self.problems.append(Problem(_prefix(path, problem.path), problem.reason))
            self.count += len(exc.problems) + exc.more
        elif isinstance(exc, (ClassValidationError, IterableValidationError)):  # cattrs' own hooks
            with_notes, without = exc.group_exceptions()
            for sub, note in with_notes:
                if isinstance(note, cattrs.AttributeValidationNote):
                    self.add(sub, _join(path, note.name))
                else:
                    self.add(sub, f"{path}[{note.index}]")
            for sub in without:
                self.add(sub, path)
        elif isinstance(exc, ForbiddenExtraKeysError):
            for name in sorted(map(str, exc.extra_fields)):
                self._leaf(_join(path, _key(name)), "unexpected field")
        else:
            self._leaf(path, _reason(exc))
        return self.budget.found >= MAX_COUNTED_PROBLEMS

    def _leaf(self, path: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, reason))
        self.count += 1
        self.budget.found += 1

    def error(self) -> InputError:
        return InputError(self.problems, self.count - len(self.problems))


_MAX_KEY = 64  # a key or field name longer than this is cut in a path (a path never echoes a
_MAX_PATH = 256  # huge input), and a path longer than this keeps its end, which names the field


def _key(name: Any) -> str:
    text = str(name)
    return text if len(text) <= _MAX_KEY else text[: _MAX_KEY - 3] + "..."


def _join(path: str, name: str) -> str:
    return _short(f"{path}.{name}") if path else name


def _prefix(path: str, inner: str) -> str:
    if not inner:
        return path
    return _short(path + inner if inner[0] == "[" or not path else f"{path}.{inner}")


def _short(path: str) -> str:
    return path if len(path) <= _MAX_PATH else "..." + path[3 - _MAX_PATH :]


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and (attrs.has(t) or dataclasses.is_dataclass(t))


# Field metadata that marks a value sensitive (pypwext.base.InfoClassification's PII and
# AUTHORIZATION_INFO, by value: what logging masks): a 400 never quotes such a field's value.
_CLASSIFIED = frozenset({"PII", "AUTHORIZATION_INFO"})


def _model_hook(t: type) -> Callable[[Any, Any], Any]:
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
        t, converter, _cattrs_forbid_extra_keys=bool(t.__dict__.get(_STRICT_ATTR))
    )
    fields: Any = attrs.fields(t) if attrs.has(t) else dataclasses.fields(t)
    classified = frozenset(f.name for f in fields if f.metadata.get("classification") in _CLASSIFIED)
    declared = tuple(f.name for f in fields)

    def structure_model(value: Any, cl: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {_describe(value)}")
        try:
            return inner(value, cl)
        except (ClassValidationError, ForbiddenExtraKeysError) as exc:
            raise _model_error(exc, value, declared, classified) from None

    return structure_model


def _model_error(
    exc: ClassValidationError | ForbiddenExtraKeysError,
    value: Mapping[Any, Any],
    declared: tuple[str, ...],
    classified: frozenset[str],
) -> InputError:
    """The problems of one object, in document order: fields in the order the input has them
    (unexpected ones included), a required field it lacks where it would have been written
    (before the next declared field the input has, else at the end)."""
    parts: list[tuple[str, BaseException | None]] = []  # (field name, its failure or None: unexpected)
    subs: Sequence[tuple[str, BaseException]] = [("", exc)]
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        subs = [(note.name, sub) for sub, note in with_notes] + [("", sub) for sub in without]
    for name, sub in subs:
        if isinstance(sub, ForbiddenExtraKeysError):
            parts += [(key, None) for key in value if key in sub.extra_fields]
        else:
            parts.append((name, sub))
    position = {key: i for i, key in enumerate(value)}
    end = len(position)
    where: dict[str, float] = {}  # a missing field: just before the next declared one it has
    following = float(end)
    for name in reversed(declared):
        if name in position:
            following = position[name] - 0.5
        else:
            where[name] = following
    found = _Found()
    for name, failure in sorted(parts, key=lambda part: position.get(part[0], where.get(part[0], end))):
        if failure is None:
            found._leaf(_key(name), "unexpected field")
        elif name in classified:  # the reasons without the value they quote
            listed = len(found.problems)
            found.add(failure, name)
            for i in range(listed, len(found.problems)):
                problem = found.problems[i]
                found.problems[i] = Problem(problem.path, problem.reason.split(", got ", 1)[0])
        else:
            found.add(failure, name)
    return found.error()


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
                raise found.error() from None

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
    token = _BUDGET.set(_Budget())
    try:
        return converter.structure(data, cl)  # type: ignore[no-any-return]
    except (StructureHandlerNotFoundError, InputError):
        raise
    except Exception as exc:  # a scalar at the top, or a hook of cattrs' own (a union, ...)
        found = _Found()
        found.add(exc, "")
        raise found.error() from None
    finally:
        _BUDGET.reset(token)


def _reason(exc: BaseException) -> str:
    """The client's sentence for one failure: a hook's own ``expected ...`` message, else a
    generic one (never Python's or a library's text, which may quote the input)."""
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, (ValueError, TypeError)) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
        if text.startswith(("expected", "unexpected")) and len(text) <= 200:
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
    ``default`` of :func:`dumps`); :class:`EncodeError` when there is none."""
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

    >>> from decimal import Decimal
    >>> dumps({"when": _dt.date(2024, 1, 2), "amount": Decimal("1.10")})
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


def loads(data: str | bytes | bytearray) -> Any:
    """Decode JSON text (``bytes`` in UTF-8, or UTF-16/32 as the ``json`` module detects them).

    Raises :class:`DecodeError`, in pypwext's own words, for malformed JSON (with line and
    column), text nested deeper than :data:`MAX_DEPTH`, ``NaN``/``Infinity``, a number too
    large for a float or with more digits than Python converts, an unpaired surrogate escape
    (``"\\ud800"``) and bytes that are not valid Unicode.

    >>> loads('[1, {"a": "b"}]')
    [1, {'a': 'b'}]
    >>> loads('[1, NaN]')
    Traceback (most recent call last):
    ...
    pypwext.codec.DecodeError: NaN and Infinity are not JSON numbers
    """
    text = data if type(data) is str else _text(data)
    if len(text) > MAX_DEPTH * 2 and text.count("[") + text.count("{") > MAX_DEPTH:
        _check_depth(text)
    try:
        try:  # a value from the first character to the last: the scanner alone (every body)
            value, end = _scan(text, 0)
        except StopIteration:  # leading whitespace, or no value: the decoder says which
            value = _decoder.decode(text)
        else:
            if end != len(text):
                value = _decoder.decode(text)  # trailing whitespace, or extra data
    except DecodeError:
        raise
    except json.JSONDecodeError as exc:
        raise DecodeError(_decode_reason(exc)) from None
    except RecursionError:  # (the depth check keeps the scanner far from it)
        raise DecodeError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # only the integer conversion's limit raises another ValueError
        raise DecodeError(f"a number has more than {_int_digits_limit()} digits") from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None and _has_lone_surrogate(value):
        raise DecodeError("a string holds an unpaired surrogate (\\ud800 to \\udfff): not Unicode text")
    return value


def _text(data: Any) -> str:
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"JSON text must be str, bytes or bytearray, not {type(data).__name__}")
    encoding = json.detect_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        raise DecodeError(f"not valid {name} text (at byte {exc.start})") from None


def _no_constant(name: str) -> Any:
    raise DecodeError("NaN and Infinity are not JSON numbers")


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value == 0.0:
        return value
    raise DecodeError("a number is too large")


def _check_depth(text: str) -> None:
    """Refuse text nested deeper than MAX_DEPTH, in C-speed steps (no recursion, no Python loop
    over characters): strings taken out (escapes first), every other character but brackets
    dropped, a few rounds taking the innermost ``[]`` pairs away (each takes one level off a
    document with many small objects), then the deepest running count of what is left. For
    brackets that do not match it is an upper bound of how deep the parser would go."""
    if "\\" in text:
        text = text.replace("\\\\", "").replace('\\"', "")
    if '"' in text:
        text = "".join(text.split('"')[::2])
    brackets = _NOT_BRACKET.sub("", text).translate(_ONE_KIND)
    rounds = 0
    while len(brackets) > 1024 and rounds < 3:
        brackets = brackets.replace("[]", "")
        rounds += 1
    if rounds + max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise DecodeError(f"nested deeper than {MAX_DEPTH} levels")


_STEP = {"[": 1, "]": -1}
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_ONE_KIND = str.maketrans("{}", "[]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    try:
        dumps(value).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_JSON_REASONS = {
    "Expecting value": "expected a value",
    "Expecting property name enclosed in double quotes": "expected a field name in double quotes",
    "Expecting ':' delimiter": "expected ':' after a field name",
    "Expecting ',' delimiter": "expected ',' or the end of the array or object",
    "Unterminated string starting at": "a string is not terminated",
    "Invalid control character at": "a control character in a string",
    "Invalid \\escape": "an invalid escape in a string",
    "Invalid \\uXXXX escape": "an invalid \\u escape in a string",
    "Extra data": "more data after the value",
}


def _decode_reason(exc: json.JSONDecodeError) -> str:
    reason = _JSON_REASONS.get(exc.msg)
    if reason is None:
        reason = "a comma before the end" if "trailing comma" in exc.msg else "unexpected text"
    return f"not valid JSON: {reason} at line {exc.lineno}, column {exc.colno}"


_decoder = json.JSONDecoder(parse_float=_finite_float, parse_constant=_no_constant)
_scan: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]
