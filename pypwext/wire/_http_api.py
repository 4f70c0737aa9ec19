"""API Gateway HTTP API and Lambda Function URLs (payload format 2.0): these sources' parse,
render, read-back and example events.

A Function URL sends and accepts payload 2.0 exactly as the HTTP API does; it differs only in
details, handled here: its domain (``<id>.lambda-url.<region>.on.aws``, which is how
:func:`pypwext.wire.detect_source` tells them apart), its one ``$default`` stage (no stage prefix
to strip from ``rawPath``) and, in the example event, an ``anonymous`` account and no
``cookies``, ``queryStringParameters`` or ``body`` keys unless there are some.

* **Parse**: ``requestContext.http.method``, ``rawPath`` (``/stage`` removed for an HTTP API stage
  other than ``$default``), ``headers`` (payload 2.0 joins repeated headers with commas itself:
  those stay one value), the query from ``rawQueryString`` (every value) else
  ``queryStringParameters``, the ``cookies`` list (else the ``Cookie`` header), the request id
  from ``requestContext.requestId``.
* **Render**: exactly ``statusCode``, ``headers``, ``cookies``, ``body``, ``isBase64Encoded``;
  ``cookies`` is always present (``[]`` when there are none: one shape to expect); several values
  of a header are joined with ``", "``.
* **Read-back** (as the front door does it, for ``pypwext serve``): an object without
  ``statusCode`` is a 200 with the value as JSON -- unless it looks like a proxy response
  (``body``, ``headers``, ``cookies``...), which is refused; unknown keys are ignored (warnings).
* **Example events**: :func:`example_event` (HTTP API) and :func:`function_url_example`, behind
  :func:`pypwext.testing.api_gateway_event` and :func:`pypwext.testing.function_url_event`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from pypwext.wire._reading import (
    H,
    MakeHeaders,
    Parts,
    check_unicode,
    method_of,
    query_pairs,
    scalar,
    single_map,
)
from pypwext.wire._writing import (
    HttpAnswer,
    Merged,
    Rejected,
    answer_body,
    answer_status,
    answer_str_map,
    joined,
)

if TYPE_CHECKING:
    from pypwext.wire._examples import Values

__all__ = ["example_event", "function_url_example", "parse", "parse_function_url", "read_back", "render"]


# --- parse -----------------------------------------------------------------------------------


def parse(
    event: Mapping[str, Any], ctx: Mapping[str, Any], make_headers: MakeHeaders[H], strip_stage: bool = True
) -> Parts[H]:
    """The parts of a payload 2.0 event, in the order :func:`pypwext.wire.parse_request` wants them."""
    http = ctx["http"]
    method = http.get("method")
    if type(method) is not str or not method:
        method = method_of(method, "requestContext.http.method")
    path = event.get("rawPath")
    if not isinstance(path, str):
        path = http.get("path")
    stage = ctx.get("stage")
    if (
        strip_stage
        and isinstance(stage, str)
        and stage not in ("", "$default")
        and isinstance(path, str)
        and path.startswith(f"/{stage}/")
    ):
        path = path[len(stage) + 1 :]
    if type(path) is not str:
        path = scalar(path, "path") or ""

    single_headers = single_map(event, "headers")
    headers = make_headers(single_headers, None)

    query = single_map(event, "queryStringParameters")
    multi_query: dict[str, list[str]] | None = None
    raw_qs = event.get("rawQueryString")
    if isinstance(raw_qs, str) and raw_qs:
        multi_query = {}
        for name, value in query_pairs(raw_qs):
            multi_query.setdefault(name, []).append(value)
        query = None  # (HTTP API joins repeated names with commas there: the last value instead)

    cookie_list: list[str] = []
    if isinstance(event.get("cookies"), list):
        cookie_list = [c for c in (scalar(v, "cookies") for v in event["cookies"]) if c is not None]
        check_unicode("cookies", cookie_list)
    if not cookie_list:
        cookie_list = headers.get_all("cookie")

    rid = ctx.get("requestId")
    return (
        method, path, headers, single_headers, None, query, multi_query,
        cookie_list, rid if isinstance(rid, str) else None,
    )  # fmt: skip


def parse_function_url(
    event: Mapping[str, Any], ctx: Mapping[str, Any], make_headers: MakeHeaders[H]
) -> Parts[H]:
    """:func:`parse` for a Function URL, which has no stage to strip."""
    return parse(event, ctx, make_headers, strip_stage=False)


# --- render ----------------------------------------------------------------------------------


def render(
    status: int, text: str, b64: bool, merged: Merged, cookies: list[str], multi_value: bool
) -> dict[str, Any]:
    """The payload 2.0 answer for an encoded body and the merged headers and cookies."""
    return {
        "statusCode": status,
        "headers": joined(merged),
        "cookies": cookies,
        "body": text,
        "isBase64Encoded": b64,
    }


# --- read back -------------------------------------------------------------------------------

_KEYS = frozenset({"statusCode", "headers", "cookies", "body", "isBase64Encoded"})
_PROXY_HINTS = frozenset({"body", "headers", "multiValueHeaders", "cookies", "isBase64Encoded"})


def read_back(result: Any, multi_value: bool = False) -> HttpAnswer:
    """What the HTTP API or a Function URL answers the client for the function's ``result``
    (headers unchecked); :class:`~pypwext.wire._writing.Rejected` when it would refuse it."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        if isinstance(result, Mapping) and _PROXY_HINTS & set(result):
            raise Rejected(
                f"the response has {', '.join(sorted(_PROXY_HINTS & set(result)))} but no statusCode: "
                "AWS would send the whole object as a 200 JSON body"
            )
        body = json.dumps(result).encode("utf-8")
        return HttpAnswer(200, None, [("Content-Type", "application/json")], body)
    warnings = [
        f"top-level key {key!r} is ignored by payload format 2.0 (it knows {', '.join(sorted(_KEYS))})"
        for key in sorted(set(result) - _KEYS)
    ]
    status = answer_status(result)
    headers = list(answer_str_map(result.get("headers"), "headers").items())
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise Rejected(f"cookies must be a list of strings, got {cookies!r}")
    headers += [("Set-Cookie", c) for c in cookies]
    return HttpAnswer(status, None, headers, answer_body(result), warnings)


# --- example events --------------------------------------------------------------------------


def _parts(
    headers: Mapping[str, Values] | None,
    domain: str,
    content_type: str | None,
    query: Mapping[str, Values] | None,
    cookies: Mapping[str, str] | None,
) -> tuple[dict[str, str], list[str], str, dict[str, str]]:
    """Payload 2.0 headers (repeated ones joined with commas, cookies moved out), the cookies,
    ``rawQueryString`` and ``queryStringParameters`` (repeated names joined with commas)."""
    from pypwext.wire._examples import (  # (examples only: not on the cold path)
        SOURCE_IP,
        USER_AGENT,
        cookie_pairs,
        example_headers,
        multi,
        trace_id,
    )

    defaults = {
        "accept": "*/*",
        "host": domain,
        "user-agent": USER_AGENT,
        "x-amzn-trace-id": trace_id(time.time()),
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    multi_headers = example_headers(defaults, headers, content_type, lower=True)
    cookie_list = [
        pair.strip() for value in multi_headers.pop("cookie", []) for pair in value.split(";") if pair.strip()
    ]
    cookie_list.extend(cookie_pairs(cookies))
    joined_headers = {name: ",".join(values) for name, values in multi_headers.items()}
    multi_query = multi(query)
    raw_query = urlencode([(name, v) for name, values in multi_query.items() for v in values])
    single_query = {name: ",".join(values) for name, values in multi_query.items()}
    return joined_headers, cookie_list, raw_query, single_query


def _context(
    api_id: str, domain: str, method: str, raw_path: str, user_agent: str, route_key: str, stage: str
) -> dict[str, Any]:
    import uuid

    from pypwext.wire._examples import (  # (examples only: not on the cold path)
        ACCOUNT_ID,
        SOURCE_IP,
        clf_time,
    )

    now = time.time()
    return {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": api_id,
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": SOURCE_IP,
            "userAgent": user_agent,
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": stage,
        "time": clf_time(now),
        "timeEpoch": int(now * 1000),
    }


def example_event(
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    path_params: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    resource: str | None = None,
    stage: str = "$default",
    stage_variables: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
    raw_query: str | None = None,
) -> dict[str, Any]:
    """An HTTP API event with the keys and value types of the real samples (``raw_query``: the
    ``rawQueryString`` as received, instead of one encoded from ``query``)."""
    from pypwext.wire._examples import (  # (examples only: not on the cold path)
        USER_AGENT,
        client_cert,
        encode_body,
        random_id,
    )

    method = method.upper()
    api_id = random_id(10)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    text, b64, content_type = encode_body(body)
    joined_headers, cookie_list, encoded_query, single_query = _parts(
        headers, domain, content_type, query, cookies
    )
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    route_key = "$default" if resource is None else f"{method} {resource}"
    context = _context(
        api_id, domain, method, raw_path, joined_headers.get("user-agent", USER_AGENT), route_key, stage
    )
    context["authentication"] = {"clientCert": client_cert()}
    context["authorizer"] = {"jwt": {"claims": dict(claims or {}), "scopes": []}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": encoded_query if raw_query is None else raw_query,
        "cookies": cookie_list,
        "headers": joined_headers,
        "queryStringParameters": single_query,
        "requestContext": dict(sorted(context.items())),
        "pathParameters": dict(path_params or {}),
        "isBase64Encoded": b64,
        "stageVariables": dict(stage_variables or {}),
    }
    if text is not None:
        event["body"] = text
    return event


def function_url_example(
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    cookies: Mapping[str, str] | None = None,
    url_id: str | None = None,
    region: str = "us-east-1",
    raw_query: str | None = None,
) -> dict[str, Any]:
    """A Function URL event with the keys and value types of the real samples (``url_id``
    defaults to a random 32-character id; ``raw_query`` as in :func:`example_event`)."""
    import uuid

    from pypwext.wire._examples import USER_AGENT, encode_body  # (examples only: not on the cold path)

    method = method.upper()
    url_id = url_id if url_id is not None else uuid.uuid4().hex
    domain = f"{url_id}.lambda-url.{region}.on.aws"
    text, b64, content_type = encode_body(body)
    joined_headers, cookie_list, encoded_query, single_query = _parts(
        headers, domain, content_type, query, cookies
    )
    context = _context(
        url_id, domain, method, path, joined_headers.get("user-agent", USER_AGENT), "$default", "$default"
    )
    context["accountId"] = "anonymous"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": encoded_query if raw_query is None else raw_query,
    }
    if cookie_list:
        event["cookies"] = cookie_list
    event["headers"] = joined_headers
    if single_query:
        event["queryStringParameters"] = single_query
    event["requestContext"] = context
    if text is not None:
        event["body"] = text
    event["isBase64Encoded"] = b64
    return event
