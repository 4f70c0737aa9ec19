"""The decoding half of pypwext's one JSON codec: :func:`pypwext.codec.loads` is this module's
``loads`` (use that name; this module is its part, split off for size). Strict JSON in, refusals in
pypwext's own words. Imports nothing of pypwext but the scalar rules' digit limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from pypwext._lazy import pattern
from pypwext._scalars import _int_digits_limit

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects :func:`loads` accepts (``[[1]]`` is 2 deep)."""


class DecodeError(ValueError):
    """:func:`loads` refused its input; the message is pypwext's own sentence, fit for a client."""


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
    reason = None
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
        reason = _decode_reason(exc)
    except RecursionError:  # (the depth check keeps the scanner far from it)
        reason = f"nested deeper than {MAX_DEPTH} levels"
    except ValueError:  # only the integer conversion's limit raises another ValueError
        reason = f"a number has more than {_int_digits_limit()} digits"
    if reason is not None:  # raised outside the except blocks: nothing is chained to it
        raise DecodeError(reason)
    if "\\u" in text and _SURROGATE_ESCAPE().search(text) is not None and _has_lone_surrogate(value):
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
    brackets = _NOT_BRACKET().sub("", text).translate(_ONE_KIND)
    rounds = 0
    while len(brackets) > 1024 and rounds < 3:
        brackets = brackets.replace("[]", "")
        rounds += 1
    if rounds + max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise DecodeError(f"nested deeper than {MAX_DEPTH} levels")


_STEP = {"[": 1, "]": -1}
_NOT_BRACKET = pattern(r"[^\[\]{}]+")
_ONE_KIND = str.maketrans("{}", "[]")
_SURROGATE_ESCAPE = pattern(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    try:  # (a value loads made: plain JSON types, finite numbers)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
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


_LONE_SURROGATE = pattern("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, the Unicode replacement character.

    A JSON ``"\\ud800"`` from a client decodes to a lone surrogate, which UTF-8 cannot encode:
    echoed back, it would fail the Lambda runtime's encoder (Python 3.12 and later write answers
    with ``ensure_ascii=False``) and the invocation would end without an answer.

    >>> valid_text("ok \\ud800") == "ok \\ufffd"
    True
    """
    if text.isascii():  # (a flag test: only other text is searched)
        return text
    return _LONE_SURROGATE().sub("\ufffd", text)
