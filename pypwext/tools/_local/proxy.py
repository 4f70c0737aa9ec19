"""Real HTTP to Lambda events and back, as each event source does it -- and refuses it.

:func:`build_event` turns one HTTP request into the event of the chosen source with
:mod:`pypwext.testing`'s factories (so local events have the shape of the real ones);
:func:`to_http` checks what the handler returned against what that source accepts and turns it
into status, headers and body -- or raises :class:`Rejected` with the reason the real source
would answer 502 for.

What each source refuses (:class:`Rejected`, a 502 locally as in AWS):

* every source: a response over Lambda's 6 MB payload limit; a body that says
  ``isBase64Encoded`` but is not base64; a non-string header value, body or cookie; a header
  name that is not an HTTP token, a header value or cookie with a CR, LF or other control
  character (they would split the header: API Gateway and ALB answer 502); a
  ``statusCode`` that is not an integer from 100 to 599;
* **REST**: anything but an object with ``statusCode``, or a top-level key other than
  ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``, ``isBase64Encoded``;
* **ALB**: the same with ``statusDescription``; ``headers`` when the target group has
  multi-value headers on (or ``multiValueHeaders`` when it has not); a body over 1 MB;
* **HTTP API and Function URL**: an object that looks like a proxy response (``body``,
  ``headers``, ``cookies``...) but has no ``statusCode``. Any other value without
  ``statusCode`` is answered 200 with the value as JSON, as AWS does; unknown keys are ignored
  (and reported as warnings).

Request bodies are sent as text when they are UTF-8 of a textual media type (JSON, ``text/*``,
XML, forms), base64-encoded otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

from pypwext.tools._local.guard import header_problem

__all__ = ["SOURCES", "HttpAnswer", "Rejected", "build_event", "to_http"]

SOURCES = ("rest", "http-api", "function-url", "alb", "alb-multi")
"""Event formats ``pypwext serve --source`` can emulate (``alb-multi``: an ALB target group
with multi-value headers on)."""

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
ALB_BODY_LIMIT = 1024 * 1024

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
)
_TEXTUAL = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")
_REST_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_ALB_KEYS = _REST_KEYS | {"statusDescription"}
_V2_KEYS = frozenset({"statusCode", "headers", "cookies", "body", "isBase64Encoded"})
_PROXY_HINTS = frozenset({"body", "headers", "multiValueHeaders", "cookies", "isBase64Encoded"})


class Rejected(Exception):
    """The event source would refuse the handler's response; the message says why."""


@attrs.frozen
class HttpAnswer:
    """What goes back to the HTTP client."""

    status: int
    reason: str | None
    headers: list[tuple[str, str]]
    body: bytes
    warnings: list[str] = attrs.field(factory=list)


def _is_textual(content_type: str | None) -> bool:
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXTUAL) or media.endswith(("+json", "+xml"))


def build_event(
    source: str,
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
) -> dict[str, Any]:
    """The ``source`` event for an HTTP request (``target`` is the request line's path and
    query, as received)."""
    from pypwext import testing

    parts = urlsplit(target)
    path = parts.path or "/"
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    grouped: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in headers:
        if name.lower() in _HOP_BY_HOP:
            continue
        key = names.setdefault(name.lower(), name)
        grouped.setdefault(key, []).append(value)
    content_type = next((v[-1] for k, v in grouped.items() if k.lower() == "content-type"), None)
    payload: Any = None
    if body:
        try:
            payload = body.decode("utf-8") if _is_textual(content_type) else body
        except UnicodeDecodeError:
            payload = body
    common: dict[str, Any] = {"body": payload, "headers": grouped, "query": query or None}
    if source == "rest":
        return testing.api_gateway_event(method, path, version="1.0", **common)
    if source == "http-api":
        event = testing.api_gateway_event(method, path, version="2.0", **common)
        event["rawQueryString"] = parts.query
        return event
    if source == "function-url":
        event = testing.function_url_event(method, path, **common)
        event["rawQueryString"] = parts.query
        return event
    if source in ("alb", "alb-multi"):
        return testing.alb_event(method, path, multi_value=source == "alb-multi", **common)
    raise ValueError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")


def _status(result: Mapping[str, Any]) -> int:
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise Rejected(f"statusCode must be an integer from 100 to 599, got {status!r}")
    return status


def _str_map(value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Rejected(f"{key} must be an object, got {type(value).__name__}")
    for name, item in value.items():
        if not isinstance(item, str):
            raise Rejected(f"{key}[{name!r}] must be a string, got {type(item).__name__} {item!r}")
    return dict(value)


def _multi_map(value: Any, key: str) -> dict[str, list[str]]:
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


def _body(result: Mapping[str, Any]) -> bytes:
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
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise Rejected("isBase64Encoded is true but the body is not valid base64") from None
    return body.encode("utf-8")


def _clean(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for name, value in headers:
        problem = header_problem(name, value)
        if problem:
            raise Rejected(problem)
    return [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"]


def to_http(source: str, result: Any) -> HttpAnswer:
    """Check ``result`` (what the handler returned, as JSON) against ``source`` and turn it
    into an :class:`HttpAnswer`; :class:`Rejected` says why the source would refuse it."""
    size = len(json.dumps(result).encode("utf-8"))
    if size > LAMBDA_PAYLOAD_LIMIT:
        raise Rejected(f"the response is {size} bytes; Lambda's limit is {LAMBDA_PAYLOAD_LIMIT}")
    if source == "rest":
        return _rest(result)
    if source in ("http-api", "function-url"):
        return _v2(result)
    return _alb(result, multi_value=source == "alb-multi")


def _require_object(result: Any, allowed: frozenset[str], what: str) -> Mapping[str, Any]:
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


def _rest(result: Any) -> HttpAnswer:
    result = _require_object(result, _REST_KEYS, "API Gateway's REST API (Lambda proxy integration)")
    status = _status(result)
    single = _str_map(result.get("headers"), "headers")
    multi = _multi_map(result.get("multiValueHeaders"), "multiValueHeaders")
    body = _body(result)
    lower_multi = {k.lower() for k in multi}
    headers = [(k, v) for k, v in single.items() if k.lower() not in lower_multi]
    headers += [(k, v) for k, values in multi.items() for v in values]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))  # what API Gateway adds
    return HttpAnswer(status, None, _clean(headers), body)


def _v2(result: Any) -> HttpAnswer:
    if not isinstance(result, Mapping) or "statusCode" not in result:
        if isinstance(result, Mapping) and _PROXY_HINTS & set(result):
            raise Rejected(
                f"the response has {', '.join(sorted(_PROXY_HINTS & set(result)))} but no statusCode: "
                "AWS would send the whole object as a 200 JSON body"
            )
        body = json.dumps(result).encode("utf-8")
        return HttpAnswer(200, None, [("Content-Type", "application/json")], body)
    warnings = [
        f"top-level key {key!r} is ignored by payload format 2.0 (it knows {', '.join(sorted(_V2_KEYS))})"
        for key in sorted(set(result) - _V2_KEYS)
    ]
    status = _status(result)
    headers = list(_str_map(result.get("headers"), "headers").items())
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise Rejected(f"cookies must be a list of strings, got {cookies!r}")
    headers += [("Set-Cookie", c) for c in cookies]
    return HttpAnswer(status, None, _clean(headers), _body(result), warnings)


def _alb(result: Any, multi_value: bool) -> HttpAnswer:
    result = _require_object(result, _ALB_KEYS, "an Application Load Balancer")
    status = _status(result)
    description = result.get("statusDescription")
    if description is not None and not isinstance(description, str):
        raise Rejected(f"statusDescription must be a string, got {description!r}")
    if description is not None and header_problem("statusDescription", description):
        raise Rejected("statusDescription holds a CR, LF or other control character")
    reason = description.split(" ", 1)[1] if description and " " in description else None
    single = _str_map(result.get("headers"), "headers")
    if multi_value:
        if "headers" in result and "multiValueHeaders" not in result:
            raise Rejected(
                "the target group has multi-value headers on: answer with multiValueHeaders, not headers"
            )
        multi = _multi_map(result.get("multiValueHeaders"), "multiValueHeaders")
        headers = [(k, v) for k, values in multi.items() for v in values]
    else:
        if "multiValueHeaders" in result:
            raise Rejected(
                "the target group has multi-value headers off: answer with headers, not multiValueHeaders"
            )
        headers = list(single.items())
    body = _body(result)
    if len(body) > ALB_BODY_LIMIT:
        raise Rejected(f"the body is {len(body)} bytes; an ALB takes at most {ALB_BODY_LIMIT} from Lambda")
    return HttpAnswer(status, reason, _clean(headers), body)
