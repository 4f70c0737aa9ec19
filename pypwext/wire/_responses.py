"""The :class:`Response` a service renders, the rules every source shares for writing it, and the
direct-invoke document.

:func:`to_source` turns one :class:`Response` into the exact dict the source of the request
expects; it runs on every invocation, so everything that can be is computed at import.

Body encoding, the same for every source:

* ``None``: no body (``""``; ``null`` for a direct invoke), no default ``Content-Type``;
* ``bytes`` (or ``bytearray``/``memoryview``): base64 with ``isBase64Encoded`` true, default
  ``Content-Type: application/octet-stream``;
* ``str``: as is, default ``Content-Type: text/plain; charset=utf-8``;
* anything else: :func:`pypwext.codec.dumps`, default ``Content-Type: application/json``.

Headers: a name is matched in any case; a name in both ``headers`` and ``multi_headers`` gets the
``headers`` value followed by the ``multi_headers`` values. A ``Set-Cookie`` given as a header
is treated as a cookie, so that it reaches the client the way the source allows.

:func:`to_source` is the one place that writes response headers, so it refuses what would let a
value become another header or end the head (header injection): a name that is not an HTTP
token, a header or cookie value with CR, LF or NUL: ``ValueError``, which a service answers
with a 500 through ``on_error`` (it is a programming error of the service; the log says which
header). Every answer is valid UTF-8: a lone surrogate (which UTF-8 cannot encode; a client's
JSON ``"\\ud800"`` echoed back) in a body, a header or a cookie becomes U+FFFD.

Per source, each written by that source's module (``_rest``, ``_http_api``, ``_alb``: see
their docstrings), handed out through :func:`~pypwext.wire._events.source_function`:

* **REST (payload 1.0)**: ``statusCode``, ``headers``, ``multiValueHeaders`` (the cookies),
  ``body``, ``isBase64Encoded``.
* **HTTP API and Function URL (payload 2.0)**: ``statusCode``, ``headers``, ``cookies``,
  ``body``, ``isBase64Encoded``.
* **ALB**: ``statusCode``, ``statusDescription``, ``body``, ``isBase64Encoded`` and
  ``multiValueHeaders`` or ``headers`` (the target group's mode; several cookies under case
  variants of ``Set-Cookie``).
* **Direct invoke**: a JSON-serialisable document ``{"statusCode", "headers", "body",
  "isBase64Encoded", "errors"}`` where ``body`` is the JSON value of the body (a ``str`` as is,
  ``bytes`` as base64 with ``isBase64Encoded`` true, ``None`` as ``null``) and ``errors`` the
  collected errors as :meth:`~pypwext.errors.ServiceError.to_dict`. Cookies are left out (a
  calling function has no cookie jar). :func:`from_direct` reads such a document back.

The collected ``errors`` of a :class:`Response` appear only in the direct-invoke document; for
HTTP sources the service renders them into the body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from pypwext import codec
from pypwext._headers import is_token
from pypwext._lazy import pattern
from pypwext.errors import ServiceError
from pypwext.wire._events import EventSource, Request, source_function
from pypwext.wire._writing import JSON, Merged, body_text, joined

__all__ = ["Response", "from_direct", "is_direct_document", "to_source"]


def _check_status(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"a response status must be an int, got {value!r}")
    if not 100 <= value <= 599:
        raise ValueError(f"a response status must be an HTTP status (100-599), got {value}")


@attrs.define
class Response:
    """Full control over what a service answers: status, body, headers and cookies.

    Return one from ``execute`` (or ``on_error``) when the defaults -- JSON body, the class's
    ``status`` -- are not what you want; :func:`to_source` writes it in the source's format.

    >>> r = Response(201, {"id": 7}, headers={"Location": "/orders/7"},
    ...              cookies=["session=abc; HttpOnly; Secure"],
    ...              multi_headers={"Vary": ["Origin", "Accept"]})
    >>> r.status
    201
    >>> Response(700)
    Traceback (most recent call last):
    ...
    ValueError: a response status must be an HTTP status (100-599), got 700
    """

    status: int = attrs.field(default=200, validator=_check_status)
    """The HTTP status (100-599)."""
    body: Any = None
    """``None``, ``str``, ``bytes`` or anything :func:`pypwext.codec.dumps` encodes."""
    headers: dict[str, str] = attrs.field(factory=dict)
    """Headers with one value each."""
    cookies: list[str] = attrs.field(factory=list)
    """Full ``Set-Cookie`` values (``"id=1; Path=/; HttpOnly"``), one per cookie."""
    multi_headers: dict[str, list[str]] = attrs.field(factory=dict)
    """Headers with several values."""
    errors: list[ServiceError] = attrs.field(factory=list)
    """Collected errors; written only into the direct-invoke document."""


_UNSAFE = pattern(r"[\r\n\0]")


def _name(name: Any) -> str:
    """A header name as written, refused (``ValueError``) unless it is an HTTP token."""
    if not isinstance(name, str) or not is_token(name):
        raise ValueError(f"a response header name must be an HTTP token, got {name!r}")
    return name


def _value(value: Any, name: str) -> str:
    """A header or cookie value as text, refused (``ValueError``) with CR, LF or NUL in it
    (which would start another header: header injection)."""
    text = value if isinstance(value, str) else str(value)
    if _UNSAFE().search(text):
        raise ValueError(f"the value of response header {name} contains CR, LF or NUL")
    return codec.valid_text(text)


def _merge_headers(response: Response, default_type: str | None) -> tuple[Merged, list[str]]:
    """All headers by lower-case name, and the cookies (with any ``Set-Cookie`` header moved in)."""
    if not response.headers and not response.multi_headers and not response.cookies:  # most responses
        return ({"content-type": ("Content-Type", [default_type], False)} if default_type else {}), []
    merged: Merged = {}
    cookies = [_value(c, "Set-Cookie") for c in response.cookies]
    for name, value in response.headers.items():
        key = _name(name).lower()
        if key == "set-cookie":
            cookies.append(_value(value, name))
        elif key in merged:
            merged[key][1].append(_value(value, name))
        else:
            merged[key] = (name, [_value(value, name)], False)
    for name, values in response.multi_headers.items():
        texts = [_value(v, name) for v in ((values,) if isinstance(values, str) else values)]
        key = _name(name).lower()
        if key == "set-cookie":
            cookies.extend(texts)
        elif key in merged:
            merged[key] = (merged[key][0], merged[key][1] + texts, True)
        else:
            merged[key] = (name, texts, True)
    if default_type is not None and "content-type" not in merged:
        merged["content-type"] = ("Content-Type", [default_type], False)
    return merged, cookies


def _direct(response: Response) -> dict[str, Any]:
    value: Any
    value, b64, default_type = body_text(response.body)
    if value is not None and not b64:  # the JSON value of the body: text as is, JSON parsed again
        value = codec.loads_own(value) if default_type == JSON else codec.valid_text(value)
    merged, _cookies = _merge_headers(response, default_type)
    return {
        "statusCode": int(response.status),
        "headers": joined(merged),
        "body": value,
        "isBase64Encoded": b64,
        "errors": _error_list(response.errors),
    }


def _error_list(errors: list[ServiceError]) -> list[Any]:
    """The errors as JSON values (their ``details`` may hold anything :func:`codec.dumps`
    encodes: the runtime's own encoder must never meet something it cannot write)."""
    if not errors:
        return []
    return list(codec.json_form([e.to_dict() for e in errors]))


def to_source(response: Response, request: Request) -> dict[str, Any]:
    """The dict ``request.source`` expects for ``response`` (see the module docs for each shape).

    >>> from pypwext.wire._events import parse_request
    >>> to_source(Response(201, {"id": 7}), parse_request({"order": 7}))["body"]
    {'id': 7}
    """
    source = request.source
    if source is EventSource.DIRECT:
        return _direct(response)
    text, b64, default_type = body_text(response.body)
    if text is None:
        text = ""
    elif not b64:
        text = codec.valid_text(text)
    merged, cookies = _merge_headers(response, default_type)
    render: Callable[[int, str, bool, Merged, list[str], bool], dict[str, Any]]
    render = source_function(source, "render")  # (the source module's own writer of its shape)
    return render(int(response.status), text, b64, merged, cookies, request.multi_value)


_DIRECT_KEYS = frozenset({"statusCode", "headers", "body", "isBase64Encoded", "errors"})


def is_direct_document(obj: Any) -> bool:
    """True when ``obj`` looks like what :func:`to_source` writes for a direct invoke.

    A calling service uses this to tell a pypwext answer from another function's plain result.
    """
    if not isinstance(obj, Mapping) or not {"statusCode", "body", "errors"} <= obj.keys():
        return False
    status = obj["statusCode"]
    return (
        obj.keys() <= _DIRECT_KEYS
        and isinstance(status, int)
        and not isinstance(status, bool)
        and isinstance(obj.get("headers", {}), Mapping)
        and isinstance(obj["errors"], list)
        and all(isinstance(e, Mapping) for e in obj["errors"])
    )


def from_direct(document: Mapping[str, Any]) -> tuple[int, Any, list[ServiceError]]:
    """Read a direct-invoke document back: ``(status, body, errors)``.

    ``body`` is the JSON value (``bytes`` again when it was base64-encoded); each error comes
    back as the :class:`~pypwext.errors.ServiceError` subclass its code names.

    >>> from pypwext.errors import NotFound
    >>> from pypwext.wire._events import parse_request
    >>> doc = to_source(Response(404, errors=[NotFound("no order 7")]), parse_request({}))
    >>> status, body, errors = from_direct(doc)
    >>> status, body, errors
    (404, None, [NotFound(code=404, msg='no order 7')])

    Raises ``ValueError`` when ``document`` is not such a document.
    """
    if not is_direct_document(document):
        raise ValueError("not a pypwext direct-invoke document (statusCode, headers, body, errors)")
    body = document["body"]
    if document.get("isBase64Encoded") is True and isinstance(body, str):
        body = codec.base64_bytes(body)
    errors = [ServiceError.from_dict(e) for e in document["errors"]]
    return int(document["statusCode"]), body, errors
