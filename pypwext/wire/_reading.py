"""The rules every HTTP source shares for reading the parts of an event a client controls.

A JSON scalar or a map of them, the query string, the ``Cookie`` pairs, the body (and its base64
and size limit), the refusal of text with no UTF-8 form: written once here, used by each source
module (``_rest``, ``_http_api``, ``_alb``) to read its own shape and by
:func:`pypwext.wire._events.parse_request` to assemble the :class:`~pypwext.wire.Request`. Every
refusal is a :class:`~pypwext.errors.BadRequest` with ``details["problems"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, unquote_plus

from pypwext import codec
from pypwext.errors import BadRequest, PayloadTooLarge

__all__ = [
    "MAX_BODY_BYTES",
    "H",
    "HeaderView",
    "MakeHeaders",
    "Parts",
    "all_ascii",
    "body",
    "check_unicode",
    "malformed",
    "method_of",
    "multi_map",
    "parse_cookies",
    "query_pairs",
    "scalar",
    "single_map",
]

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body accepted, in bytes after base64 decoding (1 MiB: an ALB's limit for a
Lambda target; API Gateway allows 10 MB and Lambda 6 MB of event); larger is a 413."""


class HeaderView(Protocol):
    """What a source module reads of the :class:`~pypwext.wire.Headers` it is handed."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def get_all(self, name: str) -> list[str]: ...


H = TypeVar("H", bound=HeaderView)
MakeHeaders = Callable[[dict[str, str] | None, dict[str, list[str]] | None], H]
"""``Headers(single, multi)``: handed to a source's ``parse`` by ``parse_request``."""
Parts = tuple[
    str,  # method
    str,  # path
    H,  # the headers, built with make_headers from:
    dict[str, str] | None,  # the single-value headers
    dict[str, list[str]] | None,  # the multi-value headers (None: the source sent none)
    dict[str, str] | None,  # query, one value per name (None: from the multi-value query)
    dict[str, list[str]] | None,  # query, every value (None: from the single-value query)
    list[str],  # the Cookie values (name=value pairs)
    str | None,  # the source's request id
]
"""What a source module's ``parse`` reads of its event, for ``parse_request`` to assemble."""

_SURROGATE = "holds an unpaired surrogate, which is not Unicode text"


def malformed(field: str, reason: str) -> BadRequest:
    """The 400 for an event part ``field`` a client got wrong."""
    return BadRequest.invalid(f"malformed request: {field}", (field, reason))


def scalar(value: Any, field: str) -> str | None:
    """A JSON scalar as a string (``None`` for null); anything else is malformed."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise malformed(field, f"expected a string, got {codec.describe(value)}")


def method_of(value: Any, field: str) -> str:
    """The HTTP method named by ``value``; an event that names none is malformed."""
    method = value if type(value) is str else scalar(value, field)
    if not method:
        raise malformed("method", "the event names no HTTP method")
    return method


def single_map(event: Mapping[str, Any], field: str, decode: bool = False) -> dict[str, str] | None:
    """``event[field]`` as one string per name (``None`` when absent); ``decode``: URL-decode
    names and values (ALB passes them on as the client sent them)."""
    raw = event.get(field)
    if raw is None:
        return None
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise malformed(field, f"expected an object, got {codec.describe(raw)}")
    out: dict[str, str] = {}
    for name, value in raw.items():
        if type(value) is str and type(name) is str and not decode:  # what every real event sends
            out[name] = value
            continue
        text = scalar(value, field)
        if text is None:
            continue
        key = str(name)
        if decode:
            key, text = unquote_plus(key), unquote_plus(text)
        out[key] = text
    return out


def multi_map(event: Mapping[str, Any], field: str, decode: bool = False) -> dict[str, list[str]] | None:
    """``event[field]`` as a list of strings per name (``None`` when absent); see :func:`single_map`."""
    raw = event.get(field)
    if raw is None:
        return None
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise malformed(field, f"expected an object, got {codec.describe(raw)}")
    out: dict[str, list[str]] = {}
    for name, values in raw.items():
        if type(values) is list and type(name) is str and not decode:
            for value in values:
                if type(value) is not str:
                    break
            else:  # a list of strings: what every real event sends
                if name in out:
                    out[name].extend(values)
                else:
                    out[name] = list(values)
                continue
        if values is None:
            continue
        items = values if isinstance(values, list) else [values]
        scalars = [v if type(v) is str else scalar(v, field) for v in items]
        texts: list[str] = scalars if None not in scalars else [t for t in scalars if t is not None]  # type: ignore[assignment]
        key = str(name)
        if decode:
            key, texts = unquote_plus(key), [unquote_plus(t) for t in texts]
        out.setdefault(key, []).extend(texts)
    return out


def query_pairs(raw: str) -> list[tuple[str, str]]:
    """``parse_qsl(raw, keep_blank_values=True)``, without its decoding work for the usual
    query that has nothing to decode."""
    if "%" in raw or "+" in raw:
        return parse_qsl(raw, keep_blank_values=True)
    pairs = []
    for part in raw.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


def parse_cookies(pairs: list[str]) -> dict[str, str]:
    """The cookies of ``Cookie`` values (``a=1; b=2``); a cookie without ``=`` has an empty value."""
    cookies: dict[str, str] = {}
    for pair_list in pairs:
        for pair in pair_list.split(";"):
            name, sep, value = pair.partition("=")
            name = name.strip()
            if not name:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies[name] = value if sep else ""
    return cookies


def body(event: Mapping[str, Any]) -> bytes:
    """The body's bytes: base64-decoded when ``isBase64Encoded`` is true, refused over
    :data:`MAX_BODY_BYTES` (413) or when not base64 / not Unicode (400)."""
    raw = event.get("body")
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise malformed("body", f"expected a string, got {codec.describe(raw)}")
    if event.get("isBase64Encoded") is True:
        if len(raw) > (MAX_BODY_BYTES + 2) // 3 * 4 + 4:  # too large whatever it decodes to
            raise _too_large()
        try:
            data = codec.base64_bytes(raw)
        except ValueError:
            raise BadRequest.invalid(
                "request body is not valid base64", ("body", "not valid base64 (RFC 4648)")
            ) from None
    else:
        if len(raw) > MAX_BODY_BYTES:  # (no character is less than one byte in UTF-8)
            raise _too_large()
        try:
            data = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise malformed("body", _SURROGATE) from None
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    return data


def _too_large() -> BadRequest:
    return PayloadTooLarge.invalid(
        "request body too large",
        ("body", f"larger than {MAX_BODY_BYTES} bytes, the most this service accepts"),
    )


def all_ascii(
    method: str,
    path: str,
    singles: tuple[Mapping[str, str] | None, ...],
    multis: tuple[Mapping[str, list[str]] | None, ...],
) -> bool:
    """Whether every name and value is ASCII (nearly every request): one C-level join, on the
    way to the refusal of an unpaired surrogate (only non-ASCII text can hold one)."""
    parts = [method, path]
    for single in singles:
        if single:
            parts += single
            parts += single.values()
    for multi in multis:
        if multi:
            parts += multi
            parts += chain.from_iterable(multi.values())
    return "".join(parts).isascii()


def check_unicode(field: str, texts: Iterable[str]) -> None:
    """Refuse texts that have no UTF-8 form (an unpaired surrogate): no answer could quote them."""
    joined = "".join(texts)
    if not joined.isascii():
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:
            raise malformed(field, _SURROGATE) from None
