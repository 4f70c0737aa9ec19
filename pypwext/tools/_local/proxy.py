"""Real HTTP to Lambda events and back, as each event source does it -- and refuses it.

:func:`build_event` turns one HTTP request into the event of the chosen source with that
source's example event (``pypwext.wire._rest``, ``_http_api``, ``_alb``: the ones behind
:mod:`pypwext.testing`'s factories, so local events have the shape of the real ones);
:func:`to_http` reads what the handler returned back with that source's ``read_back`` -- status,
headers and body, or :class:`Rejected` with the reason the real source would answer 502 for --
and checks the headers as every source does.

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

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pypwext.tools._local.guard import header_problem
from pypwext.wire import _alb, _http_api, _rest
from pypwext.wire._writing import HttpAnswer, Rejected

__all__ = ["SOURCES", "HttpAnswer", "Rejected", "build_event", "to_http"]

SOURCES = ("rest", "http-api", "function-url", "alb", "alb-multi")
"""Event formats ``pypwext serve --source`` can emulate (``alb-multi``: an ALB target group
with multi-value headers on)."""

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
)
_TEXTUAL = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")

_READ_BACK: dict[str, Callable[[Any, bool], HttpAnswer]] = {
    "rest": _rest.read_back,
    "http-api": _http_api.read_back,
    "function-url": _http_api.read_back,
    "alb": _alb.read_back,
    "alb-multi": _alb.read_back,
}
"""Each source's read-back of a handler's answer, by ``--source`` name."""


def _is_textual(content_type: str | None) -> bool:
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXTUAL) or media.endswith(("+json", "+xml"))


def _unknown(source: str) -> ValueError:
    return ValueError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")


def build_event(
    source: str,
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
) -> dict[str, Any]:
    """The ``source`` event for an HTTP request (``target`` is the request line's path and
    query, as received: payload 2.0 keeps it as its ``rawQueryString``)."""
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
    given = query or None
    if source == "rest":
        return _rest.example_event(method, path, payload, grouped, given)
    if source == "http-api":
        return _http_api.example_event(method, path, payload, grouped, given, raw_query=parts.query)
    if source == "function-url":
        return _http_api.function_url_example(method, path, payload, grouped, given, raw_query=parts.query)
    if source in ("alb", "alb-multi"):
        return _alb.example_event(method, path, payload, grouped, given, multi_value=source == "alb-multi")
    raise _unknown(source)


def _clean(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers a source passes on, refused (:class:`Rejected`) when one cannot be a header
    line -- the check every source makes."""
    for name, value in headers:
        problem = header_problem(name, value)
        if problem:
            raise Rejected(problem)
    return [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"]


def to_http(source: str, result: Any) -> HttpAnswer:
    """Check ``result`` (what the handler returned, as JSON) against ``source`` and turn it
    into an :class:`HttpAnswer`; :class:`Rejected` says why the source would refuse it."""
    read_back = _READ_BACK.get(source)
    if read_back is None:
        raise _unknown(source)
    size = len(json.dumps(result).encode("utf-8"))
    if size > LAMBDA_PAYLOAD_LIMIT:
        raise Rejected(f"the response is {size} bytes; Lambda's limit is {LAMBDA_PAYLOAD_LIMIT}")
    answer = read_back(result, source == "alb-multi")
    return HttpAnswer(answer.status, answer.reason, _clean(answer.headers), answer.body, answer.warnings)
