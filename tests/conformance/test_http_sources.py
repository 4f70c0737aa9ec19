"""Every HTTP sample AWS publishes is detected, parsed and answered in its source's format."""

from __future__ import annotations

import base64
import binascii
import json
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qs

import pytest

from pypwext.errors import BadRequest
from pypwext.wire._events import EventSource, detect_source, parse_request
from pypwext.wire._responses import Response, to_source

# Which source each sample comes from, by its file name (first match wins). The names are the
# oracle here, independent of the detection rules under test.
_HTTP_SAMPLES: list[tuple[str, EventSource]] = [
    ("apiGatewayProxyV2*", EventSource.API_GATEWAY_HTTP),
    # All REST proxy events, including the minimal *PrincipalId* one (no headers, no body).
    ("apiGatewayProxy*", EventSource.API_GATEWAY_REST),
    # The "SchemaMiddlware" samples (both spellings, both payload versions) are ordinary proxy
    # events: "invalid" means their *body* fails an application schema, not that the event is
    # malformed, so they are included like any other.
    ("apigatewaye*", EventSource.API_GATEWAY_REST),
    ("alb*", EventSource.ALB),
    ("lambdaFunctionUrl*", EventSource.FUNCTION_URL),
]

# Not proxy events, although two of them carry httpMethod/requestContext: the input of a Lambda
# *authorizer* (they have "type" and "methodArn"/"routeArn"); API Gateway expects a policy (or
# {"isAuthorized": ...}) back, not an HTTP response, so they are DIRECT and excluded here.
_AUTHORIZER_SAMPLES = "apiGatewayAuthorizer*"


def expected_source(name: str) -> EventSource | None:
    """The source a sample file name says it comes from, ``None`` for a non-HTTP sample."""
    if fnmatchcase(name, _AUTHORIZER_SAMPLES):
        return None
    for pattern, source in _HTTP_SAMPLES:
        if fnmatchcase(name, pattern):
            return source
    return None


def is_http_sample(name: str) -> bool:
    return expected_source(name) is not None


def is_other_sample(name: str) -> bool:
    return expected_source(name) is None


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def parseable(event: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The event ready to parse and the body bytes it carries.

    Three REST samples (``apiGatewayProxyEventAnotherPath``, ``...PathTrailingSlash``,
    ``..._noVersionAuth``) say ``isBase64Encoded: true`` about the plain text
    ``"Hello from Lambda!"``; pypwext answers such a request with a 400 (checked in
    test_sample_with_bad_base64_body_is_a_bad_request). For everything else the sample is
    repaired the way API Gateway would have sent it: the same bytes, base64-encoded.
    """
    body = event.get("body")
    if body is None:
        return event, b""
    if event.get("isBase64Encoded") is True:
        if _is_base64(body):
            return event, base64.b64decode(body)
        return {**event, "body": base64.b64encode(body.encode()).decode()}, body.encode()
    return event, body.encode()


# --- detection -------------------------------------------------------------------------------


@pytest.mark.aws_samples(select=is_http_sample)
def test_http_sample_is_detected(aws_event, sample_name):
    assert detect_source(aws_event(sample_name)) is expected_source(sample_name)


@pytest.mark.aws_samples(select=is_other_sample)
def test_every_other_sample_is_a_direct_invoke(aws_event, sample_name):
    # SQS, SNS, S3, EventBridge, Cognito, VPC Lattice, Bedrock agents (httpMethod but no
    # requestContext), Lambda authorizers ...: not an HTTP source of pypwext.
    event = aws_event(sample_name)
    assert detect_source(event) is EventSource.DIRECT
    request = parse_request(event)
    assert request.source is EventSource.DIRECT
    assert request.method == "INVOKE"
    assert request.json() is event


def test_the_sample_folder_holds_every_source(aws_events_path):
    names = [p.name for p in aws_events_path.glob("*.json")]
    found = {expected_source(n) for n in names} - {None}
    assert found == {s for s in EventSource if s.is_http}


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.aws_samples(select=is_http_sample)
def test_http_sample_is_parsed(aws_event, sample_name):
    original = aws_event(sample_name)
    event, body = parseable(original)
    request = parse_request(event, None)
    source = expected_source(sample_name)
    ctx = event["requestContext"]
    v2 = source in (EventSource.API_GATEWAY_HTTP, EventSource.FUNCTION_URL)

    assert request.source is source
    assert request.method == (ctx["http"]["method"] if v2 else event["httpMethod"]).upper()
    assert request.path == (event["rawPath"] if v2 else event["path"])
    assert request.body == body
    assert request.raw_event is event
    assert request.path_params == (event.get("pathParameters") or {})
    assert request.multi_value is ("multiValueHeaders" in event)

    # Headers: each value in any case; every value of a multi-value header.
    single = event.get("headers") or {}
    multi = event.get("multiValueHeaders") or {}
    for name, value in single.items():
        assert request.headers[name.upper()] == value
        assert request.headers[name.lower()] == value
    for name, values in multi.items():
        assert request.header_values(name.swapcase()) == values
        if name not in single:
            assert request.headers[name] == values[-1]
    assert len(request.headers) == len({n.lower() for n in [*single, *multi]})
    assert request.origin == (single.get("Origin") or (multi.get("Origin") or [None])[-1])

    # Query strings.
    raw_qs = event.get("rawQueryString")
    if v2 and raw_qs:
        assert request.multi_query == parse_qs(raw_qs, keep_blank_values=True)
        assert request.query == {k: v[-1] for k, v in parse_qs(raw_qs).items()}
    elif v2:
        assert request.query == (event.get("queryStringParameters") or {})
    else:
        qsp = event.get("queryStringParameters")
        mqs = event.get("multiValueQueryStringParameters")
        assert request.multi_query == (mqs if mqs is not None else {k: [v] for k, v in (qsp or {}).items()})
        assert request.query == (qsp if qsp is not None else {k: v[-1] for k, v in (mqs or {}).items()})

    # Cookies: the samples' v2 cookies are bare names ("cookie1").
    expected_cookies = {}
    for cookie in event.get("cookies") or []:
        name, _, value = cookie.partition("=")
        expected_cookies[name] = value
    assert request.cookies == expected_cookies

    if source is EventSource.ALB:
        assert request.request_id == request.headers["x-amzn-trace-id"]
        assert request.request_id.startswith("Root=")
    else:
        assert request.request_id == ctx["requestId"]

    if body:
        assert request.text == body.decode()


def test_v2_query_with_repeated_keys_is_split_from_the_raw_query_string(aws_event):
    request = parse_request(aws_event("apiGatewayProxyV2Event.json"))
    # HTTP API's own map says "value1,value2"; the raw query string says what was sent.
    assert request.multi_query == {"parameter1": ["value1", "value2"], "parameter2": ["value"]}
    assert request.query == {"parameter1": "value2", "parameter2": "value"}
    assert request.header_values("header2") == ["value1,value2"]
    assert request.json() == {"message": "hello world", "username": "tom"}


@pytest.mark.parametrize(
    "sample_name",
    [
        "apiGatewayProxyEventAnotherPath.json",
        "apiGatewayProxyEventPathTrailingSlash.json",
        "apiGatewayProxyEvent_noVersionAuth.json",
    ],
)
def test_sample_with_bad_base64_body_is_a_bad_request(aws_event, sample_name):
    event = aws_event(sample_name)
    assert event["isBase64Encoded"] is True and not _is_base64(event["body"])
    assert detect_source(event) is EventSource.API_GATEWAY_REST
    with pytest.raises(BadRequest) as info:
        parse_request(event)
    assert info.value.code == 400
    assert info.value.details["problems"][0]["reason"]


# --- answering -------------------------------------------------------------------------------

_BODIES: dict[str, Any] = {
    "json": {"id": 7, "items": [{"name": "widget", "price": 1.5}], "note": None},
    "str": "héllo, wörld",
    "bytes": bytes(range(256)),
}
_DEFAULT_TYPES = {
    "json": "application/json",
    "str": "text/plain; charset=utf-8",
    "bytes": "application/octet-stream",
}
_COOKIES = ["session=abc; Path=/; HttpOnly; Secure", "theme=dark; Max-Age=3600", "lang=fr"]
_VARY = ["Origin", "Accept-Encoding"]
_KEYS = {
    EventSource.API_GATEWAY_REST: {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"},
    EventSource.API_GATEWAY_HTTP: {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    EventSource.FUNCTION_URL: {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
}


def _decoded_body(out: dict[str, Any], kind: str) -> Any:
    assert isinstance(out["body"], str)
    assert out["isBase64Encoded"] is (kind == "bytes")
    if kind == "bytes":
        return base64.b64decode(out["body"], validate=True)
    if kind == "json":
        return json.loads(out["body"])
    return out["body"]


def _string_map(value: Any) -> dict[str, str]:
    assert isinstance(value, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return value


def _list_map(value: Any) -> dict[str, list[str]]:
    assert isinstance(value, dict)
    for k, v in value.items():
        assert isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
    return value


@pytest.mark.aws_samples(select=is_http_sample)
@pytest.mark.parametrize("kind", sorted(_BODIES))
def test_response_is_adapted_to_the_sample_source(aws_event, sample_name, kind):
    event, _ = parseable(aws_event(sample_name))
    request = parse_request(event)
    response = Response(
        201,
        _BODIES[kind],
        headers={"X-Request-Id": "r-1"},
        cookies=list(_COOKIES),
        multi_headers={"Vary": list(_VARY)},
    )
    out = to_source(response, request)
    json.dumps(out)  # what Lambda will do with it

    assert type(out["statusCode"]) is int and out["statusCode"] == 201
    assert _decoded_body(out, kind) == _BODIES[kind]
    source = request.source

    if source is EventSource.API_GATEWAY_REST:
        assert set(out) == _KEYS[source]
        headers, multi = _string_map(out["headers"]), _list_map(out["multiValueHeaders"])
        assert headers == {"X-Request-Id": "r-1", "Content-Type": _DEFAULT_TYPES[kind]}
        assert multi == {"Vary": _VARY, "Set-Cookie": _COOKIES}
    elif source in (EventSource.API_GATEWAY_HTTP, EventSource.FUNCTION_URL):
        assert set(out) == _KEYS[source]
        headers = _string_map(out["headers"])
        assert headers == {
            "X-Request-Id": "r-1",
            "Vary": "Origin, Accept-Encoding",
            "Content-Type": _DEFAULT_TYPES[kind],
        }
        assert out["cookies"] == _COOKIES
    else:
        assert source is EventSource.ALB
        assert out["statusDescription"] == "201 Created"
        if "multiValueHeaders" in event:
            assert request.multi_value
            assert set(out) == {
                "statusCode",
                "statusDescription",
                "multiValueHeaders",
                "body",
                "isBase64Encoded",
            }
            assert _list_map(out["multiValueHeaders"]) == {
                "X-Request-Id": ["r-1"],
                "Vary": _VARY,
                "Content-Type": [_DEFAULT_TYPES[kind]],
                "Set-Cookie": _COOKIES,
            }
        else:
            assert not request.multi_value
            assert set(out) == {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}
            headers = _string_map(out["headers"])
            cookie_names = [n for n in headers if n.lower() == "set-cookie"]
            assert [headers[n] for n in cookie_names] == _COOKIES  # every cookie, in order
            assert len(set(cookie_names)) == len(_COOKIES) and cookie_names[0] == "Set-Cookie"
            rest = {n: v for n, v in headers.items() if n not in cookie_names}
            assert rest == {
                "X-Request-Id": "r-1",
                "Vary": "Origin, Accept-Encoding",
                "Content-Type": _DEFAULT_TYPES[kind],
            }


@pytest.mark.aws_samples(select=is_http_sample)
def test_empty_response_is_adapted_to_the_sample_source(aws_event, sample_name):
    event, _ = parseable(aws_event(sample_name))
    out = to_source(Response(204), parse_request(event))
    assert out["statusCode"] == 204
    assert out["body"] == "" and out["isBase64Encoded"] is False
    headers = out.get("headers", out.get("multiValueHeaders"))
    assert headers == {}
    if request_is_alb := detect_source(event) is EventSource.ALB:
        assert out["statusDescription"] == "204 No Content"
    assert request_is_alb == ("statusDescription" in out)
