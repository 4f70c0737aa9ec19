"""API Gateway REST API, Lambda proxy integration (payload format 1.0): this source's parse,
render, read-back and example event.

* **Parse**: ``httpMethod``, ``path``, ``headers`` with ``multiValueHeaders`` (every value of a
  repeated header), ``queryStringParameters`` with ``multiValueQueryStringParameters``, the
  request id from ``requestContext.requestId``. ALB sends the same request shape (``_alb``
  reads it with :func:`read_v1` too).
* **Render**: exactly ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``,
  ``isBase64Encoded``. Single headers go into ``headers``; ``multi_headers`` and the cookies
  (``"Set-Cookie": [...]``) into ``multiValueHeaders`` (always present, possibly empty).
* **Read-back** (as API Gateway does it, for ``pypwext serve``): an object with ``statusCode``
  and no other top-level key than the five above; for a name in both maps
  ``multiValueHeaders`` wins; ``Content-Type: application/json`` when none is given.
* **Example event**: :func:`example_event`, behind :func:`pypwext.testing.api_gateway_event`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pypwext.wire._reading import H, MakeHeaders, Parts, method_of, multi_map, scalar, single_map
from pypwext.wire._writing import (
    HttpAnswer,
    Merged,
    answer_body,
    answer_multi_map,
    answer_status,
    answer_str_map,
    require_object,
)

if TYPE_CHECKING:
    from pypwext.wire._examples import Values

__all__ = ["example_event", "parse", "read_back", "read_v1", "render"]


# --- parse -----------------------------------------------------------------------------------


def read_v1(
    event: Mapping[str, Any], make_headers: MakeHeaders[H], decode: bool, request_id: str | None
) -> Parts[H]:
    """The parts of payload 1.0's request shape (REST and ALB): ``httpMethod``, ``path``,
    ``headers`` with ``multiValueHeaders``, ``queryStringParameters`` with
    ``multiValueQueryStringParameters`` (URL-decoded if ``decode``), the ``Cookie`` header."""
    method = event.get("httpMethod")
    if type(method) is not str or not method:
        method = method_of(method, "httpMethod")
    path = event.get("path")
    if type(path) is not str:
        path = scalar(path, "path") or ""
    single_headers = single_map(event, "headers")
    multi_headers = multi_map(event, "multiValueHeaders")
    headers = make_headers(single_headers, multi_headers)
    return (
        method, path, headers, single_headers, multi_headers,
        single_map(event, "queryStringParameters", decode),
        multi_map(event, "multiValueQueryStringParameters", decode),
        headers.get_all("cookie"), request_id,
    )  # fmt: skip


def parse(event: Mapping[str, Any], ctx: Mapping[str, Any], make_headers: MakeHeaders[H]) -> Parts[H]:
    """The parts of a REST event, in the order :func:`pypwext.wire.parse_request` wants them."""
    rid = ctx.get("requestId")
    return read_v1(event, make_headers, False, rid if isinstance(rid, str) else None)


# --- render ----------------------------------------------------------------------------------


def render(
    status: int, text: str, b64: bool, merged: Merged, cookies: list[str], multi_value: bool
) -> dict[str, Any]:
    """The REST answer for an encoded body and the merged headers and cookies."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, values, from_multi in merged.values():
        if from_multi or len(values) > 1:
            multi_headers[name] = values
        else:
            headers[name] = values[0]
    if cookies:
        multi_headers["Set-Cookie"] = cookies
    return {
        "statusCode": status,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "body": text,
        "isBase64Encoded": b64,
    }


# --- read back -------------------------------------------------------------------------------

_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


def read_back(result: Any, multi_value: bool = False) -> HttpAnswer:
    """What API Gateway answers the client for the function's ``result`` (headers unchecked);
    :class:`~pypwext.wire._writing.Rejected` when it would refuse it."""
    result = require_object(result, _KEYS, "API Gateway's REST API (Lambda proxy integration)")
    status = answer_status(result)
    single_headers = answer_str_map(result.get("headers"), "headers")
    multi_headers = answer_multi_map(result.get("multiValueHeaders"), "multiValueHeaders")
    body = answer_body(result)
    lower_multi = {k.lower() for k in multi_headers}
    headers = [(k, v) for k, v in single_headers.items() if k.lower() not in lower_multi]
    headers += [(k, v) for k, values in multi_headers.items() for v in values]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))  # what API Gateway adds
    return HttpAnswer(status, None, headers, body)


# --- example event ---------------------------------------------------------------------------


def example_event(
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    path_params: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    resource: str | None = None,
    stage: str = "prod",
    stage_variables: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A REST proxy event with the keys and value types of the real samples (no query:
    ``queryStringParameters: null``, as API Gateway sends it)."""
    import uuid

    from pypwext.wire._examples import (  # (examples only: not on the cold path)
        ACCOUNT_ID,
        SOURCE_IP,
        USER_AGENT,
        add_cookie_header,
        clf_time,
        client_cert,
        cookie_pairs,
        encode_body,
        example_headers,
        multi,
        random_id,
        single,
        token,
        trace_id,
    )

    method = method.upper()
    now = time.time()
    api_id = random_id(10)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    text, b64, content_type = encode_body(body)
    defaults = {
        "Accept": "*/*",
        "Host": domain,
        "User-Agent": USER_AGENT,
        "X-Amzn-Trace-Id": trace_id(now),
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    multi_headers = example_headers(defaults, headers, content_type, lower=False)
    add_cookie_header(multi_headers, cookie_pairs(cookies), "Cookie")
    single_headers = single(multi_headers)
    multi_query = multi(query) or None
    resource = resource if resource is not None else path
    return {
        "version": "1.0",
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single(multi_query) if multi_query else None,
        "multiValueQueryStringParameters": multi_query,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "authorizer": {"claims": dict(claims) if claims is not None else None, "scopes": None},
            "domainName": domain,
            "domainPrefix": api_id,
            "extendedRequestId": token(12, urlsafe=True),
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": SOURCE_IP,
                "user": None,
                "userAgent": single_headers.get("User-Agent", USER_AGENT),
                "userArn": None,
                "clientCert": client_cert(),
            },
            "path": path if stage == "$default" else f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": clf_time(now),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": random_id(6),
            "resourcePath": resource,
            "stage": stage,
        },
        "pathParameters": dict(path_params) if path_params else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "body": text,
        "isBase64Encoded": b64,
    }
