"""Test helpers: events shaped like the real ones, a Lambda context, and ``invoke``.

Every factory builds an event with the keys and value types of the real AWS samples in
``fixtures/aws-events`` (checked key by key in ``tests/test_testing.py``), with a fresh request
id and the current time, so a test says *what* request it sends, not how a source wraps it:

>>> from pypwext import BaseService, Request
>>> class Hello(BaseService):
...     def execute(self, request: Request) -> dict[str, str]:
...         return {"hello": request.query.get("name", "world")}
>>> result = invoke(Hello, api_gateway_event("GET", "/hello", query={"name": "Ada"}))
>>> result.status, result.json
(200, {'hello': 'Ada'})

Bodies may be ``None``, ``str``, ``bytes`` (sent base64-encoded, ``isBase64Encoded`` true) or any
object :func:`pypwext.codec.dumps` encodes (dict, list, attrs instance, dataclass), which is sent
as JSON with ``Content-Type: application/json`` unless the headers name another type. Query
values and header values may be a ``str`` or a list of them. Cookies (a ``dict``) go where the
source puts them: the ``cookies`` list for payload 2.0, a ``Cookie`` header otherwise.

Where a source leaves a part out, so do the factories: a REST event without a query has
``queryStringParameters: null`` (as API Gateway sends it), a payload 2.0 event without a body has
no ``body`` key, a Function URL event has ``cookies`` and ``queryStringParameters`` only when
there are some.

This module imports nothing heavy (no boto3, no requests): it is safe to import in any test.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from pypwext import codec
from pypwext.events import Headers
from pypwext.responses import from_direct, is_direct_document
from pypwext.service import BaseService

__all__ = [
    "ClientContext",
    "CognitoIdentity",
    "FakeHttp",
    "FakeLambdaFunction",
    "HttpCall",
    "InvokeResult",
    "LambdaCall",
    "LambdaContext",
    "alb_event",
    "api_gateway_event",
    "dynamodb_stream_event",
    "dynamodb_value",
    "eventbridge_event",
    "function_url_event",
    "invoke",
    "kinesis_event",
    "lambda_context",
    "read_result",
    "s3_event",
    "scheduled_event",
    "sns_event",
    "sqs_event",
]

Values = str | Sequence[str]
"""One value or several: ``"a"`` or ``["a", "b"]``."""

_ACCOUNT_ID = "123456789012"
_SOURCE_IP = "127.0.0.1"
_USER_AGENT = "pypwext-test"
_JSON = "application/json"
# Placeholders with the structure of the samples' mutual-TLS client certificate.
_CLIENT_CERT: dict[str, Any] = {
    "clientCertPem": "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----",
    "subjectDN": "CN=client.example.com",
    "issuerDN": "CN=Example test issuer",
    "serialNumber": "01:02:03:04:05:06:07:08",
    "validity": {"notBefore": "Jan  1 00:00:00 2024 GMT", "notAfter": "Jan  1 00:00:00 2099 GMT"},
}
_ALPHANUM = string.ascii_lowercase + string.digits


# --- building blocks --------------------------------------------------------------------------


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(length))


def _as_list(value: Values) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _multi(values: Mapping[str, Values] | None) -> dict[str, list[str]]:
    return {str(name): _as_list(value) for name, value in (values or {}).items()}


def _encode_body(body: Any) -> tuple[str | None, bool, str | None]:
    """``(text, is_base64, content type to add)`` for a request body."""
    if body is None:
        return None, False, None
    if isinstance(body, str):
        return body, False, None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(body)).decode("ascii"), True, None
    return codec.dumps(body), False, _JSON


def _headers(
    defaults: Mapping[str, str],
    given: Mapping[str, Values] | None,
    content_type: str | None,
    lower: bool,
) -> dict[str, list[str]]:
    """Default headers overridden (in any case) by the given ones; names lower-cased if ``lower``."""
    merged: dict[str, tuple[str, list[str]]] = {k.lower(): (k, [v]) for k, v in defaults.items()}
    for name, values in _multi(given).items():
        merged[name.lower()] = (name, values)
    if content_type is not None and "content-type" not in merged:
        merged["content-type"] = ("Content-Type", [content_type])
    return {(key if lower else name): values for key, (name, values) in merged.items()}


def _cookie_pairs(cookies: Mapping[str, str] | None) -> list[str]:
    return [f"{name}={value}" for name, value in (cookies or {}).items()]


def _add_cookie_header(headers: dict[str, list[str]], pairs: list[str], name: str) -> None:
    if not pairs:
        return
    for key, values in headers.items():
        if key.lower() == "cookie":
            values[-1] = "; ".join([values[-1], *pairs]) if values else "; ".join(pairs)
            return
    headers[name] = ["; ".join(pairs)]


def _single(headers: Mapping[str, list[str]]) -> dict[str, str]:
    """One value per name: the last, as API Gateway and ALB pick it."""
    return {name: values[-1] for name, values in headers.items() if values}


def _trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def _clf_time(now: float) -> str:
    """``04/Mar/2020:19:15:17 +0000``, the request time format of API Gateway."""
    return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")


# --- HTTP event factories ---------------------------------------------------------------------


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


# --- the Lambda context -----------------------------------------------------------------------


@attrs.frozen
class CognitoIdentity:
    """``context.identity``: the Amazon Cognito identity of a mobile-SDK caller (usually none).

    >>> CognitoIdentity().cognito_identity_id is None
    True
    """

    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


@attrs.frozen
class ClientContext:
    """``context.client_context``: what a mobile-SDK caller sent about itself.

    >>> ClientContext(custom={"tenant": "t1"}).custom["tenant"]
    't1'
    """

    client: Any = None
    custom: dict[str, Any] = attrs.field(factory=dict)
    env: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(eq=False)
class LambdaContext:
    """The context object the Lambda runtime passes to a handler; build it with
    :func:`lambda_context`.

    >>> ctx = lambda_context(timeout_s=3)
    >>> 0 < ctx.get_remaining_time_in_millis() <= 3000
    True
    """

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    identity: CognitoIdentity
    client_context: ClientContext | None
    timeout_s: float
    _deadline: float = attrs.field(repr=False)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out, counting down in real time."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def lambda_context(
    function_name: str = "test-function",
    memory_mb: int = 128,
    timeout_s: float = 30.0,
    *,
    function_version: str = "$LATEST",
    aws_request_id: str | None = None,
    region: str = "us-east-1",
    account_id: str = _ACCOUNT_ID,
    identity: CognitoIdentity | None = None,
    client_context: ClientContext | None = None,
) -> LambdaContext:
    """A :class:`LambdaContext` whose remaining time counts down from ``timeout_s`` from now.

    >>> ctx = lambda_context("orders", memory_mb=256)
    >>> ctx.invoked_function_arn, ctx.memory_limit_in_mb, ctx.log_group_name
    ('arn:aws:lambda:us-east-1:123456789012:function:orders', 256, '/aws/lambda/orders')
    """
    today = datetime.now(timezone.utc).strftime("%Y/%m/%d")
    return LambdaContext(
        function_name=function_name,
        function_version=function_version,
        invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{function_name}",
        memory_limit_in_mb=int(memory_mb),
        aws_request_id=aws_request_id if aws_request_id is not None else str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name=f"{today}/[{function_version}]{secrets.token_hex(16)}",
        identity=identity if identity is not None else CognitoIdentity(),
        client_context=client_context,
        timeout_s=float(timeout_s),
        deadline=time.monotonic() + float(timeout_s),
    )


# --- event factories for the event-driven kinds (SQS, SNS, Kinesis, DynamoDB, EventBridge, S3) ---


def _payload_text(body: Any) -> str:
    """A message body: ``str`` as is, ``bytes`` as UTF-8, anything else as JSON."""
    if isinstance(body, str):
        return body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body).decode("utf-8")
    return codec.dumps(body)


def _iso_millis(now: float) -> str:
    """``2019-09-03T19:37:27.192Z``."""
    stamp = datetime.fromtimestamp(now, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def sqs_event(
    bodies: Sequence[Any],
    *,
    queue: str = "test-queue",
    fifo: bool = False,
    group_id: str = "group-1",
    region: str = "us-east-1",
    attributes: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """An SQS event with one record per body (``str`` as is, anything else as JSON).

    ``fifo=True`` names a ``.fifo`` queue and adds the FIFO attributes (``MessageGroupId``,
    ``MessageDeduplicationId``, ``SequenceNumber``); ``attributes`` are message attributes
    (``{"name": {"stringValue": "1", "dataType": "Number"}}``).

    >>> event = sqs_event([{"order_id": 7}, "plain text"])
    >>> [r["body"] for r in event["Records"]]
    ['{"order_id":7}', 'plain text']
    """
    now = time.time()
    name = queue if not fifo or queue.endswith(".fifo") else f"{queue}.fifo"
    records = []
    for index, body in enumerate(bodies):
        text = _payload_text(body)
        sent = str(int(now * 1000) + index)
        record_attributes = {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": sent,
        }
        if fifo:
            record_attributes.update(
                {
                    "SequenceNumber": str(18873177232222703872 + index),
                    "MessageGroupId": group_id,
                    "MessageDeduplicationId": secrets.token_hex(32),
                }
            )
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": base64.b64encode(secrets.token_bytes(48)).decode("ascii"),
                "body": text,
                "attributes": record_attributes,
                "messageAttributes": {k: dict(v) for k, v in (attributes or {}).items()},
                "md5OfBody": hashlib.md5(text.encode("utf-8")).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{region}:{_ACCOUNT_ID}:{name}",
                "awsRegion": region,
            }
        )
    return {"Records": records}


def sns_event(
    messages: Sequence[Any],
    *,
    topic: str = "test-topic",
    subject: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An SNS event with one record per message (``str`` as is, anything else as JSON).

    >>> sns_event(["hello"])["Records"][0]["Sns"]["Message"]
    'hello'
    """
    now = time.time()
    topic_arn = f"arn:aws:sns:{region}:{_ACCOUNT_ID}:{topic}"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": _iso_millis(now),
                    "Signature": base64.b64encode(secrets.token_bytes(64)).decode("ascii"),
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService.pem",
                    "MessageId": str(uuid.uuid4()),
                    "Message": _payload_text(message),
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe",
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
            for message in messages
        ]
    }


def kinesis_event(
    payloads: Sequence[Any],
    *,
    stream: str = "test-stream",
    partition_key: str = "1",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A Kinesis Data Streams event; each payload (``bytes``, ``str`` or JSON) is base64-encoded
    in ``data``, with increasing sequence numbers.

    >>> import base64
    >>> base64.b64decode(kinesis_event([{"n": 1}])["Records"][0]["kinesis"]["data"])
    b'{"n":1}'
    """
    now = time.time()
    base = 49590338271490256608559692538361571095921575989136588898 + secrets.randbelow(10**6) * 10**8
    records = []
    for index, payload in enumerate(payloads):
        raw = bytes(payload) if isinstance(payload, (bytes, bytearray)) else _payload_text(payload).encode()
        sequence = str(base + index)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(raw).decode("ascii"),
                    "approximateArrivalTimestamp": round(now + index / 1000, 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000006:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{_ACCOUNT_ID}:role/lambda-role",
                "awsRegion": region,
                "eventSourceARN": f"arn:aws:kinesis:{region}:{_ACCOUNT_ID}:stream/{stream}",
            }
        )
    return {"Records": records}


def dynamodb_value(value: Any) -> dict[str, Any]:
    """``value`` in DynamoDB's attribute-value form (``{"N": "7"}``, ``{"M": {...}}``).

    >>> dynamodb_value({"id": 7, "tags": ["a"], "ok": True})
    {'M': {'id': {'N': '7'}, 'tags': {'L': [{'S': 'a'}]}, 'ok': {'BOOL': True}}}
    """
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {"M": {str(k): dynamodb_value(v) for k, v in value.items()}}
    if isinstance(value, (set, frozenset)):
        items = sorted(value)
        if all(isinstance(v, str) for v in items):
            return {"SS": items}
        return {"NS": [str(v) for v in items]}
    if isinstance(value, (list, tuple)):
        return {"L": [dynamodb_value(v) for v in value]}
    raise TypeError(f"no DynamoDB form for {type(value).__name__}")


def _image(item: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): dynamodb_value(v) for k, v in item.items()}


def dynamodb_stream_event(
    changes: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str] = ("id",),
    event_name: str = "INSERT",
    old_images: Sequence[Mapping[str, Any] | None] | None = None,
    table: str = "test-table",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A DynamoDB stream event (view type ``NEW_AND_OLD_IMAGES``): one record per new image.

    ``keys`` names the key attributes; ``event_name`` is ``INSERT``, ``MODIFY`` or ``REMOVE``
    (a ``REMOVE`` has the given image as its old image and no new image); ``old_images`` gives
    ``MODIFY`` records their old image.

    >>> record = dynamodb_stream_event([{"id": 101, "message": "hi"}])["Records"][0]
    >>> record["dynamodb"]["Keys"], record["dynamodb"]["NewImage"]["message"]
    ({'id': {'N': '101'}}, {'S': 'hi'})
    """
    now = time.time()
    base = 100000000000000000000 + secrets.randbelow(10**6) * 10**4
    stream_arn = f"arn:aws:dynamodb:{region}:{_ACCOUNT_ID}:table/{table}/stream/2024-01-01T00:00:00.000"
    records = []
    for index, item in enumerate(changes):
        body: dict[str, Any] = {
            "ApproximateCreationDateTime": float(int(now)),
            "Keys": {k: dynamodb_value(item[k]) for k in keys if k in item},
        }
        old = old_images[index] if old_images is not None else None
        if event_name == "REMOVE":
            body["OldImage"] = _image(item)
        else:
            body["NewImage"] = _image(item)
            if old is not None:
                body["OldImage"] = _image(old)
        body.update(
            {
                "SequenceNumber": str(base + index),
                "SizeBytes": len(codec.dumps(item)),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            }
        )
        records.append(
            {
                "eventID": secrets.token_hex(16),
                "eventVersion": "1.1",
                "dynamodb": body,
                "awsRegion": region,
                "eventName": event_name,
                "eventSourceARN": stream_arn,
                "eventSource": "aws:dynamodb",
            }
        )
    return {"Records": records}


def eventbridge_event(
    detail: Any = None,
    *,
    source: str = "com.example.test",
    detail_type: str = "Test Event",
    resources: Sequence[str] = (),
    region: str = "us-east-1",
    time_: datetime | None = None,
) -> dict[str, Any]:
    """An EventBridge event; ``detail`` is any JSON-encodable value (an attrs instance too).

    >>> event = eventbridge_event({"order_id": 7}, source="shop.orders", detail_type="Order Placed")
    >>> event["source"], event["detail-type"], event["detail"]
    ('shop.orders', 'Order Placed', {'order_id': 7})
    """
    when = time_ or datetime.now(timezone.utc)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": _ACCOUNT_ID,
        "time": when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": list(resources),
        "detail": {} if detail is None else codec.loads(codec.dumps(detail)),
    }


def scheduled_event(
    rule: str = "test-schedule", *, region: str = "us-east-1", time_: datetime | None = None
) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends: ``source`` ``aws.events``, detail-type
    ``Scheduled Event``, the rule's ARN in ``resources`` and an empty ``detail``.

    >>> scheduled_event("daily")["resources"]
    ['arn:aws:events:us-east-1:123456789012:rule/daily']
    """
    return eventbridge_event(
        {},
        source="aws.events",
        detail_type="Scheduled Event",
        resources=[f"arn:aws:events:{region}:{_ACCOUNT_ID}:rule/{rule}"],
        region=region,
        time_=time_,
    )


def s3_event(
    bucket: str,
    key: str,
    *,
    size: int = 0,
    event_name: str = "ObjectCreated:Put",
    etag: str | None = None,
    version_id: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An S3 notification event for one object; the key is URL-encoded as S3 sends it
    (spaces as ``+``).

    >>> s3_event("bucket", "in/a file.csv")["Records"][0]["s3"]["object"]["key"]
    'in/a+file.csv'
    """
    now = time.time()
    obj: dict[str, Any] = {
        "key": quote(key, safe="/").replace("%20", "+"),
        "size": size,
        "eTag": etag or secrets.token_hex(16),
        "sequencer": secrets.token_hex(9).upper(),
    }
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": _iso_millis(now),
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
                "requestParameters": {"sourceIPAddress": _SOURCE_IP},
                "responseElements": {
                    "x-amz-request-id": secrets.token_hex(8).upper(),
                    "x-amz-id-2": base64.b64encode(secrets.token_bytes(56)).decode("ascii"),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": str(uuid.uuid4()),
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3I5XTEXAMAI3E"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }


# --- invoke -----------------------------------------------------------------------------------


@attrs.frozen
class InvokeResult:
    """What a handler answered, read back whatever the source: assert on meaning, not strings.

    ``headers`` is looked up in any case (``get_all`` lists repeated ones); ``cookies`` are the
    ``Set-Cookie`` values wherever the source carries them; ``body`` is the body as sent (base64
    text when ``is_base64``; the JSON text of a direct-invoke document's body); ``json`` the
    parsed body (``None`` when empty or not JSON); ``errors`` PyPwExt's error objects, from the
    body's ``"error"`` or a direct-invoke document's ``errors``; ``raw`` what the handler returned.

    >>> from pypwext import BaseService, NotFound, Request
    >>> class Missing(BaseService):
    ...     just_status_code = False
    ...     def execute(self, request: Request) -> None:
    ...         raise NotFound("no such order")
    >>> result = invoke(Missing, alb_event("GET", "/orders/7"))
    >>> result.status, result.errors[0]["msg"]
    (404, 'no such order')
    """

    status: int
    headers: Headers
    cookies: list[str]
    body: str
    json: Any
    errors: list[dict[str, Any]]
    raw: Any = attrs.field(repr=False)
    is_base64: bool = False

    @property
    def content(self) -> bytes:
        """The body as bytes (base64-decoded when ``is_base64``)."""
        if self.is_base64:
            return base64.b64decode(self.body)
        return self.body.encode("utf-8")


Target = BaseService | type[BaseService] | Callable[[Any, Any], Any]


def invoke(target: Target, event: Any, context: Any = None) -> InvokeResult:
    """Run ``target`` -- a service instance, a service class (a fresh instance) or any handler
    -- on ``event`` and read its answer back; ``context`` defaults to :func:`lambda_context`.

    >>> from pypwext import BaseService, Request
    >>> class Echo(BaseService):
    ...     def execute(self, request: Request) -> object:
    ...         return request.json()
    >>> invoke(Echo, {"order": 7}).json
    {'order': 7}
    >>> invoke(Echo, function_url_event("POST", "/", body=[1, 2])).json
    [1, 2]
    """
    if context is None:
        context = lambda_context()
    if isinstance(target, type):
        if not issubclass(target, BaseService):
            raise TypeError(
                f"invoke() takes a service class, a service instance or a handler, got {target!r}"
            )
        raw = target()(event, context)
    elif callable(target):
        raw = target(event, context)
    else:
        raise TypeError(f"invoke() takes a service class, a service instance or a handler, got {target!r}")
    return read_result(raw)


def read_result(raw: Any) -> InvokeResult:
    """Read a handler's return value as an :class:`InvokeResult` (what :func:`invoke` does
    after the call).

    A value that is neither an HTTP response nor a pypwext direct-invoke document is a plain
    direct-invoke result: status 200 (what the Invoke API reports), the value as ``json``.

    >>> read_result({"statusCode": 201, "cookies": ["a=1"], "body": '{"id": 7}'}).json
    {'id': 7}
    >>> read_result([1, 2]).status
    200
    """
    if is_direct_document(raw):
        return _read_direct(raw)
    if isinstance(raw, Mapping) and isinstance(raw.get("statusCode"), int):
        return _read_http(raw)
    body = "" if raw is None else raw if isinstance(raw, str) else codec.dumps(raw)
    return InvokeResult(200, Headers(), [], body, raw, [], raw)


def _read_direct(raw: Mapping[str, Any]) -> InvokeResult:
    status, value, _ = from_direct(raw)
    headers = Headers({str(k): str(v) for k, v in (raw.get("headers") or {}).items()})
    is_b64 = isinstance(value, bytes)
    if is_b64:
        body, data = str(raw["body"]), None
    elif value is None:
        body, data = "", None
    else:
        body, data = (value if isinstance(value, str) else codec.dumps(value)), value
    errors = [dict(e) for e in raw["errors"]] or _body_errors(data)
    return InvokeResult(status, headers, [], body, data, errors, raw, is_b64)


def _read_http(raw: Mapping[str, Any]) -> InvokeResult:
    # API Gateway merges headers and multiValueHeaders; for a name in both, multiValueHeaders wins.
    multi: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, values in (raw.get("multiValueHeaders") or {}).items():
        key = str(name).lower()
        names.setdefault(key, str(name))
        multi.setdefault(key, []).extend(_as_list(values))
    from_single: dict[str, list[str]] = {}
    for name, value in (raw.get("headers") or {}).items():
        key = str(name).lower()
        names.setdefault(key, str(name))
        from_single.setdefault(key, []).append(str(value))  # ALB: Set-Cookie in case variants
    for key, values in from_single.items():
        multi.setdefault(key, values)
    headers = Headers(multi={names[key]: values for key, values in multi.items()})
    cookies = [str(c) for c in raw.get("cookies") or []] + multi.get("set-cookie", [])
    body = raw.get("body")
    text = body if isinstance(body, str) else "" if body is None else codec.dumps(body)
    is_b64 = raw.get("isBase64Encoded") is True
    data = _parse_json(text, is_b64, headers.get("content-type"))
    return InvokeResult(int(raw["statusCode"]), headers, cookies, text, data, _body_errors(data), raw, is_b64)


def _parse_json(text: str, is_b64: bool, content_type: str | None) -> Any:
    if not text:
        return None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media and media != _JSON and not media.endswith("+json"):
        return None
    try:
        return codec.loads(base64.b64decode(text) if is_b64 else text)
    except ValueError:  # includes a body that is not base64 or not UTF-8
        return None


def _body_errors(data: Any) -> list[dict[str, Any]]:
    error = data.get("error") if isinstance(data, Mapping) else None
    if isinstance(error, Mapping):
        return [dict(error)]
    if isinstance(error, list):
        return [dict(e) for e in error if isinstance(e, Mapping)]
    return []


# --- fakes for dependencies -----------------------------------------------------------------------


@attrs.frozen
class HttpCall:
    """One call a :class:`FakeHttp` received: the HTTP ``method``, the ``params`` that fill the
    URL template (or become query parameters), the ``body`` as given, and the rest."""

    method: str
    params: dict[str, Any]
    body: Any = None
    query: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    into: Any = None

    @property
    def json(self) -> Any:
        """The body as the real client would send it, read back as JSON (``None`` when none)."""
        if self.body is None or isinstance(self.body, (bytes, str)):
            return self.body
        return codec.loads(codec.dumps(self.body))


@attrs.frozen
class LambdaCall:
    """One call a :class:`FakeLambdaFunction` received: ``kind`` is ``"RequestResponse"``
    (``invoke``), ``"Event"`` (``invoke_async``) or ``"DryRun"``."""

    kind: str
    payload: Any
    params: dict[str, Any]
    client_context: dict[str, Any] | None = None

    @property
    def json(self) -> Any:
        """The payload as the real client would send it, read back as JSON."""
        if self.payload is None or isinstance(self.payload, (bytes, str)):
            return self.payload
        return codec.loads(codec.dumps(self.payload))


@attrs.define
class _Script:
    value: Any
    error: Any
    method: str | None
    when: dict[str, Any] | None
    times: int | None

    def matches(self, method: str, params: Mapping[str, Any]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.when is None or all(k in params and params[k] == v for k, v in self.when.items())


class _Fake:
    """What both fakes share: the script of answers and failures, and collecting like the real
    clients when ``on_error=ErrorAction.CONTINUE``."""

    def __init__(self, name: str, on_error: Any, default: Any) -> None:
        from pypwext.base import ErrorAction

        self.name = name
        self.on_error = ErrorAction(on_error) if on_error is not None else ErrorAction.RAISE
        self.default = default
        self._script: list[_Script] = []

    def _add(self, value: Any, error: Any, method: str | None, when: Any, times: int | None) -> Any:
        if times is not None and times < 1:
            raise ValueError(f"times must be >= 1 (or None for every call), got {times!r}")
        self._script.append(_Script(value, error, method, dict(when) if when else None, times))
        return self

    def _next(self, method: str, params: Mapping[str, Any]) -> _Script | None:
        for entry in self._script:
            if entry.matches(method, params):
                if entry.times is not None:
                    entry.times -= 1
                return entry
        return None

    def _raise(self, err: Any) -> Any:
        from pypwext.base import ErrorAction
        from pypwext.context import current_invocation
        from pypwext.errors import current_collector

        if self.on_error is not ErrorAction.CONTINUE:
            raise err
        invocation = current_invocation()
        collector = invocation.collector if invocation is not None else current_collector()
        if collector is None:
            raise err
        collector.collect(err)
        return self.default


class FakeHttp(_Fake):
    """A recording stand-in for an :class:`~pypwext.Http` dependency: pass it as
    ``Service(inventory=FakeHttp(...))``. It has the real client's methods (``get``, ``post``,
    ``put``, ``patch``, ``delete``, ``call``), records every call in :attr:`calls`, and answers
    from a script:

    * ``answer(value, method=None, when=None, times=None)``: return ``value`` (structured into
      ``into=`` or ``response_type`` when given, as the real client does) for the calls that
      match ``method`` and the template parameters in ``when``, ``times`` times (default: every
      time);
    * ``fail(status=503, body="", code=None, timeout=False, ...)``: raise the
      :class:`~pypwext.DependencyError` the real client raises once it gives up (code 502, 504
      for ``timeout=True``, or ``code``), with ``status`` and ``body``; with
      ``on_error=ErrorAction.CONTINUE`` it is collected and the call returns ``default``, like
      the real one.

    The first matching entry of the script wins; an entry with ``times`` used up is skipped; a
    call nothing matches returns ``None`` (an empty answer).

    >>> fake = FakeHttp().fail(status=503, times=1).answer({"stock": 3})
    >>> try:
    ...     fake.get(item_id=7)
    ... except Exception as err:
    ...     print(type(err).__name__, err.status)
    DependencyError 503
    >>> fake.get(item_id=7)
    {'stock': 3}
    >>> [(c.method, c.params) for c in fake.calls]
    [('GET', {'item_id': 7}), ('GET', {'item_id': 7})]
    """

    def __init__(
        self,
        name: str = "fake-http",
        *,
        method: str = "GET",
        response_type: Any = None,
        on_error: Any = None,
        default: Any = None,
    ) -> None:
        super().__init__(name, on_error, default)
        self.method = method.upper()
        self.response_type = response_type
        self.calls: list[HttpCall] = []
        """Every call, in order."""

    def answer(
        self,
        value: Any = None,
        *,
        method: str | None = None,
        when: Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> FakeHttp:
        """Answer ``value`` to the matching calls; returns the fake, so calls chain."""
        result: FakeHttp = self._add(value, None, method.upper() if method else None, when, times)
        return result

    def fail(
        self,
        status: int | None = 503,
        body: str | bytes = "",
        *,
        code: int | None = None,
        timeout: bool = False,
        method: str | None = None,
        when: Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> FakeHttp:
        """Fail the matching calls as the real client does after its retries."""
        spec = {"status": None if timeout else status, "body": body, "code": code, "timeout": timeout}
        result: FakeHttp = self._add(None, spec, method.upper() if method else None, when, times)
        return result

    @property
    def last(self) -> HttpCall:
        """The most recent call (``AssertionError`` when there was none)."""
        assert self.calls, f"{self.name} was never called"
        return self.calls[-1]

    def get(self, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a GET and answer from the script."""
        return self.call("GET", None, query=query, headers=headers, **params)

    def delete(self, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a DELETE and answer from the script."""
        return self.call("DELETE", None, query=query, headers=headers, **params)

    def post(self, body: Any = None, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a POST of ``body`` and answer from the script."""
        return self.call("POST", body, query=query, headers=headers, **params)

    def put(self, body: Any = None, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a PUT of ``body`` and answer from the script."""
        return self.call("PUT", body, query=query, headers=headers, **params)

    def patch(self, body: Any = None, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a PATCH of ``body`` and answer from the script."""
        return self.call("PATCH", body, query=query, headers=headers, **params)

    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Any = None,
        headers: Any = None,
        into: Any = None,
        raw: bool = False,
        **params: Any,
    ) -> Any:
        """Record one call (``method`` defaults to the fake's) and answer from the script."""
        from pypwext.errors import DependencyError

        verb = (method or self.method).upper()
        self.calls.append(
            HttpCall(
                verb,
                dict(params),
                body,
                dict(query) if query is not None else None,
                dict(headers) if headers is not None else None,
                into,
            )
        )
        entry = self._next(verb, params)
        if entry is not None and entry.error is not None:
            spec = entry.error
            code = spec["code"] or (504 if spec["timeout"] else 502)
            reason = "timed out" if spec["timeout"] else f"answered {spec['status']}"
            return self._raise(
                DependencyError(
                    f"{self.name} failed: {reason} ({verb}, fake)",
                    code=code,
                    dependency=self.name,
                    status=spec["status"],
                    body=spec["body"],
                    details={"dependency": self.name, "status": spec["status"], "attempts": 1},
                )
            )
        value = entry.value if entry is not None else None
        if raw:
            return _raw_response(value)
        target = into if into is not None else self.response_type
        if target is not None and value is not None:
            return codec.structure(codec.loads(codec.dumps(value)), target)
        return value


def _raw_response(value: Any) -> Any:
    import requests  # only a test that asks for a raw response pays for it

    response = requests.Response()
    response.status_code = 200
    if value is None:
        response._content = b""
    elif isinstance(value, bytes):
        response._content = value
    elif isinstance(value, str):
        response._content = value.encode("utf-8")
    else:
        response._content = codec.dumps(value).encode("utf-8")
        response.headers["Content-Type"] = _JSON
    return response


class FakeLambdaFunction(_Fake):
    """A recording stand-in for a :class:`~pypwext.LambdaFunction` dependency:
    ``Service(billing=FakeLambdaFunction())``. ``invoke``, ``invoke_async`` and ``dry_run`` are
    recorded in :attr:`calls`; ``invoke`` answers from the script:

    * ``answer(value, when=None, times=None)``: ``invoke`` returns ``value`` (structured into
      ``into=`` or ``response_type``);
    * ``fail(error, kind=None, ...)``: raise ``error`` -- a :class:`~pypwext.ServiceError` such as
      ``NotFound("no such customer")``, what the real client raises when a pypwext callee
      answered with that error; or a string, the remote ``errorMessage`` of an unhandled
      exception, raised as a 502 :class:`~pypwext.DependencyError`. ``kind`` limits it to
      ``"RequestResponse"`` or ``"Event"`` calls.

    >>> billing = FakeLambdaFunction("billing").answer({"invoice": 12})
    >>> billing.invoke({"order": 7}), billing.invoke_async({"order": 8})
    ({'invoice': 12}, None)
    >>> [(c.kind, c.json) for c in billing.calls]
    [('RequestResponse', {'order': 7}), ('Event', {'order': 8})]
    """

    def __init__(
        self,
        name: str = "fake-function",
        *,
        response_type: Any = None,
        on_error: Any = None,
        default: Any = None,
    ) -> None:
        super().__init__(name, on_error, default)
        self.response_type = response_type
        self.calls: list[LambdaCall] = []
        """Every call, in order."""

    def answer(
        self, value: Any = None, *, when: Mapping[str, Any] | None = None, times: int | None = None
    ) -> FakeLambdaFunction:
        """``invoke`` returns ``value`` for the matching calls; returns the fake."""
        result: FakeLambdaFunction = self._add(value, None, "RequestResponse", when, times)
        return result

    def fail(
        self,
        error: Any = "Unhandled",
        *,
        kind: str | None = None,
        when: Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> FakeLambdaFunction:
        """Raise ``error`` on the matching calls; returns the fake."""
        result: FakeLambdaFunction = self._add(None, error, kind, when, times)
        return result

    @property
    def last(self) -> LambdaCall:
        """The most recent call (``AssertionError`` when there was none)."""
        assert self.calls, f"{self.name} was never called"
        return self.calls[-1]

    def _record(self, kind: str, payload: Any, client_context: Any, params: Mapping[str, Any]) -> Any:
        from pypwext.errors import DependencyError, ServiceError

        self.calls.append(
            LambdaCall(
                kind, payload, dict(params), dict(client_context) if client_context is not None else None
            )
        )
        entry = self._next(kind, {**params, "payload": payload})
        if entry is not None and entry.error is not None:
            error = entry.error
            if not isinstance(error, ServiceError):
                error = DependencyError(
                    f"{self.name} failed: {error}",
                    dependency=self.name,
                    details={"dependency": self.name, "errorMessage": str(error)},
                )
            return self._raise(error)
        return entry

    def invoke(
        self, payload: Any = None, *, into: Any = None, client_context: Any = None, **params: Any
    ) -> Any:
        """Record a synchronous invoke and answer from the script (``None`` when nothing matches)."""
        entry = self._record("RequestResponse", payload, client_context, params)
        if not isinstance(entry, _Script):
            return entry if entry is not None else None
        target = into if into is not None else self.response_type
        if target is not None and entry.value is not None:
            return codec.structure(codec.loads(codec.dumps(entry.value)), target)
        return entry.value

    def invoke_async(self, payload: Any = None, *, client_context: Any = None, **params: Any) -> None:
        """Record an asynchronous invoke (``Event``)."""
        self._record("Event", payload, client_context, params)

    def dry_run(self, **params: Any) -> None:
        """Record a ``DryRun``."""
        self._record("DryRun", None, None, params)
