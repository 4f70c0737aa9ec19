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

Each factory is a thin caller of its source's example event in the wire (``pypwext.wire._rest``,
``_http_api``, ``_alb``), the module that also parses that event and renders its answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pypwext.wire import _alb, _http_api, _rest
from pypwext.wire._examples import Values


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
    common: dict[str, Any] = dict(
        body=body, headers=headers, query=query, path_params=path_params, cookies=cookies,
        resource=resource, stage_variables=stage_variables, claims=claims, region=region,
    )  # fmt: skip
    if stage is not None:  # (each source's own default otherwise: "prod", "$default")
        common["stage"] = stage
    if version == "1.0":
        return _rest.example_event(method, path, **common)
    if version == "2.0":
        return _http_api.example_event(method, path, **common)
    raise ValueError(f'version must be "1.0" (REST API) or "2.0" (HTTP API), got {version!r}')


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
    return _http_api.function_url_example(method, path, body, headers, query, cookies, url_id, region)


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
    return _alb.example_event(
        method, path, body, headers, query, cookies, multi_value, target_group_arn, region
    )
