"""The scalar rules of pypwext's one converter: convert only without loss, numbers a service can
compute with, enums that are enums. :mod:`pypwext.codec` registers these hooks on its converter
(use that module; this one is its part, split off for size). Imports nothing of pypwext.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pypwext._lazy import pattern

if TYPE_CHECKING:
    import datetime as _dt
    import uuid
    from decimal import Decimal

DECIMAL_MAX_DIGITS = 34
"""The most significant digits a ``Decimal`` field takes (IEEE 754 decimal128's precision)."""

DECIMAL_MAX_EXPONENT = 6144
"""A ``Decimal`` field takes magnitudes from ``1E-6144`` to below ``1E+6145`` (decimal128's
range): the product of two such numbers stays far inside Python's default context, so user
arithmetic never raises ``decimal.Overflow``."""


# --- scalar hooks: convert only without loss ------------------------------------------------

_INT_RE = pattern(r"[+-]?\d+\Z")
_FLOAT_RE = pattern(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


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
    if isinstance(value, str) and _INT_RE().match(value.strip()):
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
    if isinstance(value, str) and len(value) <= 1000 and _FLOAT_RE().match(value.strip()):
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
    import datetime as _dt

    text = _parse_iso(value, "date-time")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date-time, got {_quoted(value)}") from None


def _structure_date(value: Any, _: type) -> _dt.date:
    import datetime as _dt

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


def base64_bytes(text: str | bytes) -> bytes:
    """The bytes that ``text`` encodes in strict base64 (RFC 4648's alphabet and padding,
    nothing else); ``ValueError`` when it is not that. The one decoding of base64 of
    pypwext: request bodies, ``bytes`` fields, answers read back. (``base64`` is imported on
    first use: most services never see base64.)

    >>> base64_bytes("aGk="), base64_text(b"hi")
    (b'hi', 'aGk=')
    """
    import base64

    return base64.b64decode(text, validate=True)  # (binascii.Error is a ValueError)


def base64_text(data: bytes | bytearray | memoryview) -> str:
    """``data`` in base64 (the one encoding of pypwext: ``bytes`` values, bodies on the wire)."""
    import binascii

    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _structure_bytes(value: Any, _: type) -> bytes:
    if isinstance(value, str):
        try:
            return base64_bytes(value)
        except ValueError:
            pass
    raise ValueError(f"expected base64-encoded bytes, got {_describe(value)}")


def _structure_enum(value: Any, cl: Any) -> Any:
    """A member of ``cl`` by its value; an ``IntEnum`` or ``(int, Enum)`` also takes the integer
    as text (``"2"``, what a query string sends), never a boolean or any other integer."""
    if isinstance(value, bool) and not any(type(m.value) is bool for m in cl):
        raise ValueError(f"expected one of {_allowed(cl)}, got a boolean")
    if (
        issubclass(cl, int)
        and isinstance(value, str)
        and len(value) <= 100
        and _INT_RE().match(value.strip())
    ):
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
