"""The rules every HTTP source shares for an answer, written and read back.

Written: the one encoding of a body (:func:`body_text`: what goes base64), the merged header table an answer is rendered from (:data:`Merged`, built by
:mod:`pypwext.wire._responses`) and its one-value-per-name form (:func:`joined`). Read back, as a
front door (API Gateway, ALB, a Function URL) reads a function's answer: the
:class:`HttpAnswer` it turns into, the :class:`Rejected` it answers 502 for, and the checks of
the parts every source has (``statusCode``, header maps, ``body`` and ``isBase64Encoded``). Each
source module (``_rest``, ``_http_api``, ``_alb``) reads its own shape with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pypwext import codec

__all__ = [
    "JSON",
    "OCTETS",
    "TEXT",
    "HttpAnswer",
    "Merged",
    "Rejected",
    "answer_body",
    "answer_multi_map",
    "answer_status",
    "answer_str_map",
    "body_text",
    "joined",
    "require_object",
]

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"


def body_text(body: Any) -> tuple[str | None, bool, str | None]:
    """``(text, is_base64, default content type)`` for a body sent on the wire -- an answer's or
    an example event's request: ``None`` is no body; bytes (``bytearray``, ``memoryview``) go
    base64-encoded, ``application/octet-stream``; a ``str`` as is, ``text/plain``; anything
    else as :func:`pypwext.codec.dumps` writes it, ``application/json``."""
    if body is None:
        return None, False, None
    if isinstance(body, str):
        return body, False, TEXT
    if isinstance(body, (bytes, bytearray, memoryview)):
        return codec.base64_text(body), True, OCTETS
    return codec.dumps(body), False, JSON


Merged = dict[str, tuple[str, list[str], bool]]
"""An answer's headers: lower-case name -> (name as first written, values, from ``multi_headers``)."""


def joined(merged: Merged) -> dict[str, str]:
    """One value per name: several values joined with ``", "`` (as payload 2.0 does itself)."""
    return {name: ", ".join(values) for name, values, _ in merged.values()}


class Rejected(Exception):
    """The event source would refuse the handler's response; the message says why."""


class HttpAnswer:
    """What goes back to the HTTP client (read-only by convention).

    A plain class, not an attrs class: it is defined on every cold start, and an attrs class
    costs about half a millisecond to define (issue 18).
    """

    __slots__ = ("body", "headers", "reason", "status", "warnings")

    def __init__(
        self,
        status: int,
        reason: str | None,
        headers: list[tuple[str, str]],
        body: bytes,
        warnings: list[str] | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.warnings: list[str] = [] if warnings is None else warnings

    def __repr__(self) -> str:
        return f"HttpAnswer({self.status!r}, {self.reason!r}, {self.headers!r}, {self.body!r}, {self.warnings!r})"


def answer_status(result: Mapping[str, Any]) -> int:
    """``statusCode``, an integer from 100 to 599."""
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise Rejected(f"statusCode must be an integer from 100 to 599, got {status!r}")
    return status


def answer_str_map(value: Any, key: str) -> dict[str, str]:
    """A header map with one string per name (``{}`` when absent)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Rejected(f"{key} must be an object, got {type(value).__name__}")
    for name, item in value.items():
        if not isinstance(item, str):
            raise Rejected(f"{key}[{name!r}] must be a string, got {type(item).__name__} {item!r}")
    return dict(value)


def answer_multi_map(value: Any, key: str) -> dict[str, list[str]]:
    """A header map with a list of strings per name (``{}`` when absent)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Rejected(f"{key} must be an object, got {type(value).__name__}")
    out: dict[str, list[str]] = {}
    for name, items in value.items():
        if not isinstance(items, list):
            raise Rejected(f"{key}[{name!r}] must be a list of strings, got {type(items).__name__}")
        for item in items:
            if not isinstance(item, str):
                raise Rejected(f"{key}[{name!r}] must hold strings, got {type(item).__name__} {item!r}")
        out[name] = list(items)
    return out


def answer_body(result: Mapping[str, Any]) -> bytes:
    """The body's bytes: base64-decoded when ``isBase64Encoded`` is true."""
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise Rejected(f"body must be a string (encode JSON yourself), got {type(body).__name__}")
    b64 = result.get("isBase64Encoded", False)
    if b64 not in (True, False):
        raise Rejected(f"isBase64Encoded must be a boolean, got {b64!r}")
    if b64:
        try:
            return codec.base64_bytes(body)
        except ValueError:
            raise Rejected("isBase64Encoded is true but the body is not valid base64") from None
    return body.encode("utf-8")


def require_object(result: Any, allowed: frozenset[str], what: str) -> Mapping[str, Any]:
    """``result`` as an object with ``statusCode`` and no key but ``allowed`` (REST and ALB)."""
    if not isinstance(result, Mapping):
        raise Rejected(f"{what} needs an object with statusCode, got {type(result).__name__}")
    unknown = sorted(set(result) - allowed)
    if unknown:
        raise Rejected(
            f"unknown top-level key(s) {', '.join(map(repr, unknown))}: {what} accepts only "
            f"{', '.join(sorted(allowed))}"
        )
    if "statusCode" not in result:
        raise Rejected(f"{what} needs statusCode in the response")
    return result
