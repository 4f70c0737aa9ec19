"""HTTP event factories: API Gateway (REST and HTTP API), Function URL and ALB events, with
the keys and value types of the real samples.

Bodies may be ``None``, ``str``, ``bytes`` (sent base64-encoded, ``isBase64Encoded`` true) or any
object :func:`pypwext.codec.dumps` encodes (dict, list, attrs instance, dataclass), which is sent
as JSON with ``Content-Type: application/json`` unless the headers name another type. Query
values and header values may be a ``str`` or a list of them. Cookies (a ``dict``) go where the
source puts them: the ``cookies`` list for payload 2.0, a ``Cookie`` header otherwise.

Where a source leaves a part out, so do the factories: a REST event without a query has
``queryStringParameters: null`` (as API Gateway sends it), a payload 2.0 event without a body has
no ``body`` key, a Function URL event has ``cookies`` and ``queryStringParameters`` only when
there are some.

"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from pypwext.testing._common import (
    _ACCOUNT_ID,
    _CLIENT_CERT,
    _SOURCE_IP,
    _USER_AGENT,
    Values,
    _add_cookie_header,
    _clf_time,
    _cookie_pairs,
    _encode_body,
    _headers,
    _multi,
    _random_id,
    _single,
    _trace_id,
)


def api_gateway_event(
    method: str = "GET",
    path: str = "/",
    *,
    body: Any = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    path_params: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    version: str = "1.0",
    resource: str | None = None,
    stage: str | None = None,
    stage_variables: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An API Gateway proxy event: REST API (``version="1.0"``) or HTTP API (``"2.0"``).

    ``resource`` is the route template (``"/orders/{order_id}"``; default: ``path``; for the
    HTTP API it makes ``routeKey`` ``"POST /orders/{order_id}"`` instead of ``"$default"``).
    ``stage`` defaults to ``"prod"`` for REST and ``"$default"`` for the HTTP API; another HTTP
    API stage prefixes ``rawPath`` with ``/stage`` as API Gateway does. ``claims`` are the
    authorizer's (Cognito or JWT) claims.

    >>> event = api_gateway_event("POST", "/orders/7", body={"qty": 2}, path_params={"order_id": "7"},
    ...                           resource="/orders/{order_id}")
    >>> event["httpMethod"], event["body"], event["headers"]["Content-Type"]
    ('POST', '{"qty":2}', 'application/json')
    >>> api_gateway_event("GET", "/", version="2.0", cookies={"s": "1"})["cookies"]
    ['s=1']
    """
    method = method.upper()
    if version == "1.0":
        return _rest_event(
            method, path, body, headers, query, path_params, cookies, resource,
            "prod" if stage is None else stage, stage_variables, claims, region,
        )  # fmt: skip
    if version == "2.0":
        return _http_api_event(
            method, path, body, headers, query, path_params, cookies, resource,
            "$default" if stage is None else stage, stage_variables, claims, region,
        )  # fmt: skip
    raise ValueError(f'version must be "1.0" (REST API) or "2.0" (HTTP API), got {version!r}')


def _rest_event(
    method: str,
    path: str,
    body: Any,
    headers: Mapping[str, Values] | None,
    query: Mapping[str, Values] | None,
    path_params: Mapping[str, str] | None,
    cookies: Mapping[str, str] | None,
    resource: str | None,
    stage: str,
    stage_variables: Mapping[str, str] | None,
    claims: Mapping[str, Any] | None,
    region: str,
) -> dict[str, Any]:
    now = time.time()
    api_id = _random_id(10)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    text, b64, content_type = _encode_body(body)
    defaults = {
        "Accept": "*/*",
        "Host": domain,
        "User-Agent": _USER_AGENT,
        "X-Amzn-Trace-Id": _trace_id(now),
        "X-Forwarded-For": _SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    multi_headers = _headers(defaults, headers, content_type, lower=False)
    _add_cookie_header(multi_headers, _cookie_pairs(cookies), "Cookie")
    single_headers = _single(multi_headers)
    multi_query = _multi(query) or None
    resource = resource if resource is not None else path
    return {
        "version": "1.0",
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": _single(multi_query) if multi_query else None,
        "multiValueQueryStringParameters": multi_query,
        "requestContext": {
            "accountId": _ACCOUNT_ID,
            "apiId": api_id,
            "authorizer": {"claims": dict(claims) if claims is not None else None, "scopes": None},
            "domainName": domain,
            "domainPrefix": api_id,
            "extendedRequestId": secrets.token_urlsafe(12),
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
                "sourceIp": _SOURCE_IP,
                "user": None,
                "userAgent": single_headers.get("User-Agent", _USER_AGENT),
                "userArn": None,
                "clientCert": _copy_cert(),
            },
            "path": path if stage == "$default" else f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": _clf_time(now),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": _random_id(6),
            "resourcePath": resource,
            "stage": stage,
        },
        "pathParameters": dict(path_params) if path_params else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "body": text,
        "isBase64Encoded": b64,
    }


def _copy_cert() -> dict[str, Any]:
    return {**_CLIENT_CERT, "validity": dict(_CLIENT_CERT["validity"])}


def _v2_parts(
    headers: Mapping[str, Values] | None,
    defaults: Mapping[str, str],
    content_type: str | None,
    query: Mapping[str, Values] | None,
    cookies: Mapping[str, str] | None,
) -> tuple[dict[str, str], list[str], str, dict[str, str]]:
    """Payload 2.0 headers (repeated ones joined with commas, cookies moved out), the cookies,
    ``rawQueryString`` and ``queryStringParameters`` (repeated names joined with commas)."""
    multi_headers = _headers(defaults, headers, content_type, lower=True)
    cookie_list = [
        pair.strip() for value in multi_headers.pop("cookie", []) for pair in value.split(";") if pair.strip()
    ]
    cookie_list.extend(_cookie_pairs(cookies))
    joined = {name: ",".join(values) for name, values in multi_headers.items()}
    multi_query = _multi(query)
    raw_query = urlencode([(name, v) for name, values in multi_query.items() for v in values])
    single_query = {name: ",".join(values) for name, values in multi_query.items()}
    return joined, cookie_list, raw_query, single_query


def _v2_context(
    api_id: str, domain: str, method: str, raw_path: str, user_agent: str, route_key: str, stage: str
) -> dict[str, Any]:
    now = time.time()
    return {
        "accountId": _ACCOUNT_ID,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": api_id,
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": _SOURCE_IP,
            "userAgent": user_agent,
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": stage,
        "time": _clf_time(now),
        "timeEpoch": int(now * 1000),
    }


def _v2_defaults(domain: str) -> dict[str, str]:
    return {
        "accept": "*/*",
        "host": domain,
        "user-agent": _USER_AGENT,
        "x-amzn-trace-id": _trace_id(time.time()),
        "x-forwarded-for": _SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }


def _http_api_event(
    method: str,
    path: str,
    body: Any,
    headers: Mapping[str, Values] | None,
    query: Mapping[str, Values] | None,
    path_params: Mapping[str, str] | None,
    cookies: Mapping[str, str] | None,
    resource: str | None,
    stage: str,
    stage_variables: Mapping[str, str] | None,
    claims: Mapping[str, Any] | None,
    region: str,
) -> dict[str, Any]:
    api_id = _random_id(10)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    text, b64, content_type = _encode_body(body)
    joined, cookie_list, raw_query, single_query = _v2_parts(
        headers, _v2_defaults(domain), content_type, query, cookies
    )
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    route_key = "$default" if resource is None else f"{method} {resource}"
    context = _v2_context(
        api_id, domain, method, raw_path, joined.get("user-agent", _USER_AGENT), route_key, stage
    )
    context["authentication"] = {"clientCert": _copy_cert()}
    context["authorizer"] = {"jwt": {"claims": dict(claims or {}), "scopes": []}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "cookies": cookie_list,
        "headers": joined,
        "queryStringParameters": single_query,
        "requestContext": dict(sorted(context.items())),
        "pathParameters": dict(path_params or {}),
        "isBase64Encoded": b64,
        "stageVariables": dict(stage_variables or {}),
    }
    if text is not None:
        event["body"] = text
    return event


def function_url_event(
    method: str = "GET",
    path: str = "/",
    *,
    body: Any = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    cookies: Mapping[str, str] | None = None,
    url_id: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A Lambda Function URL event (payload 2.0 on ``<url_id>.lambda-url.<region>.on.aws``).

    ``body``, ``cookies`` and ``queryStringParameters`` are present only when given, as the
    service sends them; ``url_id`` defaults to a random 32-character id.

    >>> event = function_url_event("PUT", "/items/1", body=b"\\x00\\x01", url_id="abc")
    >>> event["requestContext"]["domainName"], event["body"], event["isBase64Encoded"]
    ('abc.lambda-url.us-east-1.on.aws', 'AAE=', True)
    """
    method = method.upper()
    url_id = url_id if url_id is not None else uuid.uuid4().hex
    domain = f"{url_id}.lambda-url.{region}.on.aws"
    text, b64, content_type = _encode_body(body)
    joined, cookie_list, raw_query, single_query = _v2_parts(
        headers, _v2_defaults(domain), content_type, query, cookies
    )
    context = _v2_context(
        url_id, domain, method, path, joined.get("user-agent", _USER_AGENT), "$default", "$default"
    )
    context["accountId"] = "anonymous"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
    }
    if cookie_list:
        event["cookies"] = cookie_list
    event["headers"] = joined
    if single_query:
        event["queryStringParameters"] = single_query
    event["requestContext"] = context
    if text is not None:
        event["body"] = text
    event["isBase64Encoded"] = b64
    return event


def alb_event(
    method: str = "GET",
    path: str = "/",
    *,
    body: Any = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    cookies: Mapping[str, str] | None = None,
    multi_value: bool = False,
    target_group_arn: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An Application Load Balancer event; ``multi_value=True`` for a target group with
    multi-value headers on (``multiValueHeaders`` and ``multiValueQueryStringParameters``).

    Query names and values are URL-encoded, as ALB passes them on.

    >>> event = alb_event("GET", "/search", query={"q": "a b"}, headers={"X-Tag": ["1", "2"]})
    >>> event["queryStringParameters"], event["headers"]["x-tag"]
    ({'q': 'a%20b'}, '2')
    >>> alb_event("GET", "/", multi_value=True, headers={"X-Tag": ["1", "2"]})["multiValueHeaders"]["x-tag"]
    ['1', '2']
    """
    method = method.upper()
    text, b64, content_type = _encode_body(body)
    defaults = {
        "accept": "*/*",
        "host": f"test-alb-{_random_id(8)}.{region}.elb.amazonaws.com",
        "user-agent": _USER_AGENT,
        "x-amzn-trace-id": _trace_id(time.time()),
        "x-forwarded-for": _SOURCE_IP,
        "x-forwarded-port": "80",
        "x-forwarded-proto": "http",
    }
    multi_headers = _headers(defaults, headers, content_type, lower=True)
    _add_cookie_header(multi_headers, _cookie_pairs(cookies), "cookie")
    multi_query = {
        quote(name, safe=""): [quote(v, safe="") for v in values] for name, values in _multi(query).items()
    }
    arn = target_group_arn or (
        f"arn:aws:elasticloadbalancing:{region}:{_ACCOUNT_ID}:targetgroup/test/{secrets.token_hex(8)}"
    )
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": arn}},
        "httpMethod": method,
        "path": path,
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = multi_query
        event["multiValueHeaders"] = multi_headers
    else:
        event["queryStringParameters"] = _single(multi_query)
        event["headers"] = _single(multi_headers)
    event["body"] = text if text is not None else ""
    event["isBase64Encoded"] = b64
    return event
