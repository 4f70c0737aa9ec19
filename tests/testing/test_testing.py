"""pypwext.testing: factories shaped like the real samples, lambda_context and invoke.

The shape tests read the real AWS samples in place (tests/_support/aws_samples.py) and compare every factory's
output with the matching sample: the same keys at every level (except inside free-form maps such
as headers or query parameters), the same value types wherever the sample has a value.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pypwext import BaseService, ErrorAction, NotFound, Request, Response, ServiceError
from pypwext.testing import (
    ClientContext,
    CognitoIdentity,
    InvokeResult,
    LambdaContext,
    alb_event,
    api_gateway_event,
    function_url_event,
    invoke,
    lambda_context,
    read_result,
)
from pypwext.wire._events import EventSource, detect_source, parse_request
from tests._support.aws_samples import sample

# --- the real samples -------------------------------------------------------------------------

# Maps whose keys are the request's own data (header names, parameter names, claims), not part of
# the event's structure: their keys are not compared, only that they are maps.
FREE_FORM = frozenset(
    {
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext.authorizer.claims",
        "requestContext.authorizer.jwt.claims",
    }
)


def assert_same_shape(ours: Any, real: Any, nullable: frozenset[str] = frozenset(), path: str = "") -> None:
    """Same keys at every level, same types where the sample has a value; ``None`` in ours only
    where the sample has ``None`` or the path is in ``nullable`` (a part the source sends as null
    when the request has none)."""
    where = path or "<event>"
    if real is None:
        return
    if ours is None:
        assert path in nullable, f"{where}: null, but the sample has a {type(real).__name__}"
        return
    assert type(ours) is type(real), f"{where}: {type(ours).__name__}, the sample has {type(real).__name__}"
    if isinstance(real, dict):
        if path in FREE_FORM:
            return
        assert set(ours) == set(real), (
            f"{where}: keys differ: extra {sorted(set(ours) - set(real))}, missing {sorted(set(real) - set(ours))}"
        )
        for key, value in real.items():
            assert_same_shape(ours[key], value, nullable, f"{path}.{key}" if path else key)
    elif isinstance(real, list) and real and ours:
        for item in ours:
            assert type(item) is type(real[0]), f"{where}: items are {type(item).__name__}"


@attrs.frozen
class Item:
    id: int
    name: str


@dataclasses.dataclass
class Note:
    text: str


FULL: dict[str, Any] = {
    "body": {"id": 1, "name": "x"},
    "headers": {"X-Tag": ["a", "b"], "Accept": "application/json"},
    "query": {"page": "2", "tag": ["a", "b"]},
    "cookies": {"session": "abc", "theme": "dark"},
}


def composed_function_url_sample() -> dict[str, Any]:
    """lambdaFunctionUrlEvent.json with the parts a Function URL adds only when the request has
    them (body, cookies, query), taken from the Function URL samples that carry them."""
    base = sample("lambdaFunctionUrlEvent.json")
    with_parts = sample("lambdaFunctionUrlIAMEvent.json")
    base.update({k: with_parts[k] for k in ("body", "cookies", "queryStringParameters")})
    return base


REST_NULLS = frozenset({"body", "queryStringParameters", "multiValueQueryStringParameters"})

SHAPE_CASES: list[tuple[str, Callable[[], dict[str, Any]], list[str], frozenset[str]]] = [
    ("rest-minimal", lambda: api_gateway_event(), ["apiGatewayProxyEvent.json"], REST_NULLS),
    (
        "rest-full",
        lambda: api_gateway_event(
            "POST", "/items/1", path_params={"id": "1"}, resource="/items/{id}", **FULL
        ),
        [
            "apiGatewayProxyEvent.json",
            "apiGatewayProxyOtherEvent.json",
            "apigatewayeSchemaMiddlwareValidEvent.json",
        ],
        frozenset(),
    ),
    (
        "rest-bytes",
        lambda: api_gateway_event("PUT", "/blob", body=b"\x00\xff", stage="$default"),
        ["apiGatewayProxyEvent.json"],
        frozenset({"queryStringParameters", "multiValueQueryStringParameters"}),
    ),
    (
        "http-api-get",
        lambda: api_gateway_event(version="2.0"),
        ["apiGatewayProxyV2Event_GET.json"],
        frozenset(),
    ),
    (
        "http-api-full",
        lambda: api_gateway_event(
            "POST", "/items/1", version="2.0", path_params={"id": "1"}, stage_variables={"a": "b"}, **FULL
        ),
        ["apiGatewayProxyV2Event.json", "apiGatewayProxyV2SchemaMiddlwareValidEvent.json"],
        frozenset(),
    ),
    (
        "http-api-get-with-query",
        lambda: api_gateway_event("GET", "/x", version="2.0", query={"a": "1"}, cookies={"c": "1"}),
        ["apiGatewayProxyV2Event_GET.json", "apiGatewayProxyV2OtherGetEvent.json"],
        frozenset(),
    ),
    ("function-url-minimal", lambda: function_url_event(), ["lambdaFunctionUrlEvent.json"], frozenset()),
    (
        "function-url-query",
        lambda: function_url_event("GET", "/x", query={"a": "1"}, headers={"X-Tag": "t"}),
        ["lambdaFunctionUrlEventWithHeaders.json"],
        frozenset(),
    ),
    ("function-url-full", lambda: function_url_event("POST", "/items", **FULL), ["<composed>"], frozenset()),
    ("alb-minimal", lambda: alb_event(), ["albEvent.json"], frozenset()),
    ("alb-full", lambda: alb_event("POST", "/items", **FULL), ["albEvent.json"], frozenset()),
    (
        "alb-multi-minimal",
        lambda: alb_event(multi_value=True),
        ["albMultiValueHeadersEvent.json", "albMultiValueQueryStringEvent.json"],
        frozenset(),
    ),
    (
        "alb-multi-full",
        lambda: alb_event("POST", "/items", multi_value=True, **FULL),
        ["albMultiValueHeadersEvent.json", "albMultiValueQueryStringEvent.json"],
        frozenset(),
    ),
]


@pytest.mark.parametrize(
    ("make", "names", "nullable"), [c[1:] for c in SHAPE_CASES], ids=[c[0] for c in SHAPE_CASES]
)
def test_factory_has_the_shape_of_the_real_sample(
    make: Callable[[], dict[str, Any]], names: list[str], nullable: frozenset[str]
) -> None:
    event = make()
    for name in names:
        real = composed_function_url_sample() if name == "<composed>" else sample(name)
        assert_same_shape(event, real, nullable)
    json.dumps(event)  # a real event is JSON


def test_the_shape_check_catches_a_difference() -> None:
    real = sample("albEvent.json")
    event = alb_event()
    event["requestContext"]["elb"]["extra"] = 1
    with pytest.raises(AssertionError, match="extra"):
        assert_same_shape(event, real)
    event = alb_event()
    event["isBase64Encoded"] = "false"
    with pytest.raises(AssertionError, match="isBase64Encoded"):
        assert_same_shape(event, real)
    event = api_gateway_event()
    with pytest.raises(AssertionError, match="queryStringParameters: null"):
        assert_same_shape(event, sample("apiGatewayProxyEvent.json"))


# --- detection and reading back ---------------------------------------------------------------

SOURCES: list[tuple[str, Callable[..., dict[str, Any]], EventSource]] = [
    ("rest", lambda *a, **k: api_gateway_event(*a, **k), EventSource.API_GATEWAY_REST),
    ("http-api", lambda *a, **k: api_gateway_event(*a, version="2.0", **k), EventSource.API_GATEWAY_HTTP),
    (
        "http-api-stage",
        lambda *a, **k: api_gateway_event(*a, version="2.0", stage="prod", **k),
        EventSource.API_GATEWAY_HTTP,
    ),
    ("function-url", function_url_event, EventSource.FUNCTION_URL),
    ("alb", alb_event, EventSource.ALB),
    ("alb-multi", lambda *a, **k: alb_event(*a, multi_value=True, **k), EventSource.ALB),
]
SOURCE_IDS = [s[0] for s in SOURCES]
SOURCE_PARAMS = [s[1:] for s in SOURCES]


@pytest.mark.parametrize(("make", "source"), SOURCE_PARAMS, ids=SOURCE_IDS)
def test_the_real_detector_recognises_each_factory(
    make: Callable[..., dict[str, Any]], source: EventSource
) -> None:
    assert detect_source(make()) is source
    assert detect_source(make("DELETE", "/a/b", body={"x": 1})) is source


@pytest.mark.parametrize(("make", "source"), SOURCE_PARAMS, ids=SOURCE_IDS)
def test_parse_request_reads_everything_back(
    make: Callable[..., dict[str, Any]], source: EventSource
) -> None:
    event = make(
        "patch",
        "/orders/7",
        body={"qty": 2},
        headers={"X-Request-Tag": "t1", "Accept": "application/json"},
        query={"page": "2", "tag": ["a", "b"], "q": "a b+c&d=e"},
        cookies={"session": "abc", "theme": "dark"},
    )
    request = parse_request(event)
    assert request.source is source
    assert request.method == "PATCH"
    assert request.path == "/orders/7"
    assert request.headers["x-request-tag"] == "t1"
    assert request.headers["ACCEPT"] == "application/json"
    assert request.content_type == "application/json"
    assert request.query == {"page": "2", "tag": "b", "q": "a b+c&d=e"}
    if source is EventSource.ALB and not event.get("multiValueQueryStringParameters"):
        assert request.multi_query["tag"] == ["b"]  # without multi-value, ALB sends the last value only
    else:
        assert request.multi_query["tag"] == ["a", "b"]
    assert request.cookies == {"session": "abc", "theme": "dark"}
    assert request.json() == {"qty": 2}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, b""),
        ("plain text", b"plain text"),
        (b"\x00\x01\xff", b"\x00\x01\xff"),
        ({"a": [1, 2]}, b'{"a":[1,2]}'),
        ([1, "x"], b'[1,"x"]'),
        (Item(1, "pen"), b'{"id":1,"name":"pen"}'),
        (Note("hi"), b'{"text":"hi"}'),
    ],
    ids=["none", "str", "bytes", "dict", "list", "attrs", "dataclass"],
)
@pytest.mark.parametrize(("make", "source"), SOURCE_PARAMS, ids=SOURCE_IDS)
def test_bodies(make: Callable[..., dict[str, Any]], source: EventSource, body: Any, expected: bytes) -> None:
    event = make("POST", "/", body=body)
    assert parse_request(event).body == expected
    assert event["isBase64Encoded"] is isinstance(body, bytes)
    content_type = parse_request(event).content_type
    if isinstance(body, (str, bytes)) or body is None:
        assert content_type is None
    else:
        assert content_type == "application/json"


@pytest.mark.parametrize(("make", "source"), SOURCE_PARAMS, ids=SOURCE_IDS)
def test_a_given_content_type_is_kept(make: Callable[..., dict[str, Any]], source: EventSource) -> None:
    event = make("POST", "/", body={"a": 1}, headers={"content-type": "application/vnd.api+json"})
    assert parse_request(event).content_type == "application/vnd.api+json"
    assert len(parse_request(event).header_values("Content-Type")) == 1


def test_rest_path_parameters_resource_and_stage() -> None:
    event = api_gateway_event(
        "GET", "/orders/7", path_params={"order_id": "7"}, resource="/orders/{order_id}"
    )
    assert parse_request(event).path_params == {"order_id": "7"}
    assert event["resource"] == event["requestContext"]["resourcePath"] == "/orders/{order_id}"
    assert event["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["path"] == "/prod/orders/7"
    assert api_gateway_event("GET", "/x")["resource"] == "/x"


def test_http_api_route_key_stage_and_path_parameters() -> None:
    event = api_gateway_event(
        "POST", "/orders/7", version="2.0", path_params={"order_id": "7"}, resource="/orders/{order_id}"
    )
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /orders/{order_id}"
    assert parse_request(event).path_params == {"order_id": "7"}
    staged = api_gateway_event("GET", "/orders", version="2.0", stage="beta")
    assert staged["rawPath"] == "/beta/orders"
    assert parse_request(staged).path == "/orders"


def test_headers_keep_their_case_on_rest_and_are_lower_case_elsewhere() -> None:
    assert "X-Tag" in api_gateway_event(headers={"X-Tag": "1"})["headers"]
    assert "x-tag" in api_gateway_event(version="2.0", headers={"X-Tag": "1"})["headers"]
    assert "x-tag" in function_url_event(headers={"X-Tag": "1"})["headers"]
    assert "x-tag" in alb_event(headers={"X-Tag": "1"})["headers"]


def test_repeated_values() -> None:
    rest = api_gateway_event(headers={"X-Tag": ["1", "2"]}, query={"t": ["a", "b"]})
    assert rest["headers"]["X-Tag"] == "2" and rest["multiValueHeaders"]["X-Tag"] == ["1", "2"]
    assert rest["queryStringParameters"] == {"t": "b"}
    assert rest["multiValueQueryStringParameters"] == {"t": ["a", "b"]}
    v2 = api_gateway_event(version="2.0", headers={"X-Tag": ["1", "2"]}, query={"t": ["a", "b"]})
    assert v2["headers"]["x-tag"] == "1,2"
    assert v2["queryStringParameters"] == {"t": "a,b"}
    assert v2["rawQueryString"] == "t=a&t=b"


def test_cookies_go_where_each_source_puts_them() -> None:
    cookies = {"a": "1", "b": "2"}
    assert api_gateway_event(cookies=cookies)["headers"]["Cookie"] == "a=1; b=2"
    assert api_gateway_event(version="2.0", cookies=cookies)["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in api_gateway_event(version="2.0", cookies=cookies)["headers"]
    assert function_url_event(cookies=cookies)["cookies"] == ["a=1", "b=2"]
    assert alb_event(cookies=cookies)["headers"]["cookie"] == "a=1; b=2"
    assert alb_event(cookies=cookies, multi_value=True)["multiValueHeaders"]["cookie"] == ["a=1; b=2"]
    # a Cookie header given by hand is joined with them (REST) or moved to the list (payload 2.0)
    assert (
        api_gateway_event(headers={"cookie": "z=0"}, cookies=cookies)["headers"]["cookie"] == "z=0; a=1; b=2"
    )
    assert api_gateway_event(version="2.0", headers={"Cookie": "z=0"}, cookies=cookies)["cookies"] == [
        "z=0",
        "a=1",
        "b=2",
    ]


def test_alb_passes_query_names_and_values_url_encoded() -> None:
    event = alb_event(query={"a b": "c&d=e"})
    assert event["queryStringParameters"] == {"a%20b": "c%26d%3De"}
    assert parse_request(event).query == {"a b": "c&d=e"}


def test_function_url_domain() -> None:
    event = function_url_event(url_id="abcdefghij0123456789abcdefghij01", region="eu-west-1")
    domain = "abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.on.aws"
    assert event["requestContext"]["domainName"] == event["headers"]["host"] == domain
    assert event["requestContext"]["apiId"] == event["requestContext"]["domainPrefix"] == domain.split(".")[0]
    assert len(function_url_event()["requestContext"]["apiId"]) == 32


def test_claims_reach_the_authorizer() -> None:
    assert api_gateway_event(claims={"sub": "u1"})["requestContext"]["authorizer"]["claims"] == {"sub": "u1"}
    v2 = api_gateway_event(version="2.0", claims={"sub": "u1"})
    assert v2["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "u1"}


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        api_gateway_event(version="3.0")


@pytest.mark.parametrize(("make", "source"), SOURCE_PARAMS, ids=SOURCE_IDS)
def test_fresh_request_ids_and_current_time(make: Callable[..., dict[str, Any]], source: EventSource) -> None:
    first, second = make(), make()
    assert parse_request(first).request_id != parse_request(second).request_id
    if source is not EventSource.ALB:
        uuid.UUID(first["requestContext"]["requestId"])
        epoch = first["requestContext"].get("requestTimeEpoch") or first["requestContext"]["timeEpoch"]
        assert abs(epoch / 1000 - time.time()) < 60


header_names = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda n: n.lower() not in {"cookie", "content-type", "host"}
)
header_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","), min_size=1
)
query_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
cookie_token = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=10)


@pytest.mark.parametrize(("make", "source"), SOURCE_PARAMS, ids=SOURCE_IDS)
@given(
    headers=st.dictionaries(header_names, header_values, max_size=4),
    query=st.dictionaries(query_text.filter(bool), st.lists(query_text, min_size=1, max_size=3), max_size=4),
    cookies=st.dictionaries(cookie_token, cookie_token, max_size=3),
)
def test_round_trip_property(
    make: Callable[..., dict[str, Any]],
    source: EventSource,
    headers: dict[str, str],
    query: dict[str, list[str]],
    cookies: dict[str, str],
) -> None:
    request = parse_request(make("GET", "/p", headers=headers, query=query, cookies=cookies))
    for name, value in headers.items():
        assert request.headers[name] == value
    assert request.query == {name: values[-1] for name, values in query.items()}
    assert request.cookies == cookies


# --- lambda_context ---------------------------------------------------------------------------


def test_lambda_context_attributes() -> None:
    ctx = lambda_context("orders", memory_mb=512, timeout_s=10, region="eu-west-1", account_id="111122223333")
    assert isinstance(ctx, LambdaContext)
    assert ctx.function_name == "orders"
    assert ctx.function_version == "$LATEST"
    assert ctx.invoked_function_arn == "arn:aws:lambda:eu-west-1:111122223333:function:orders"
    assert ctx.memory_limit_in_mb == 512
    uuid.UUID(ctx.aws_request_id)
    assert ctx.log_group_name == "/aws/lambda/orders"
    assert "[$LATEST]" in ctx.log_stream_name
    assert ctx.identity == CognitoIdentity(None, None)
    assert ctx.client_context is None
    assert lambda_context().aws_request_id != lambda_context().aws_request_id
    assert lambda_context(aws_request_id="r-1").aws_request_id == "r-1"
    custom = lambda_context(
        client_context=ClientContext(custom={"k": "v"}), identity=CognitoIdentity("i", "p")
    )
    assert custom.client_context is not None and custom.client_context.custom == {"k": "v"}
    assert custom.identity.cognito_identity_pool_id == "p"


def test_remaining_time_counts_down() -> None:
    ctx = lambda_context(timeout_s=2.0)
    first = ctx.get_remaining_time_in_millis()
    assert 1900 <= first <= 2000
    time.sleep(0.05)
    second = ctx.get_remaining_time_in_millis()
    assert second <= first - 40
    assert lambda_context(timeout_s=0).get_remaining_time_in_millis() == 0  # never negative


def test_a_service_sees_the_context() -> None:
    class Remaining(BaseService):
        def execute(self, request: Request) -> dict[str, Any]:
            return {"left": self.context.get_remaining_time_in_millis(), "fn": self.context.function_name}

    result = invoke(Remaining, {}, lambda_context("billing", timeout_s=5))
    assert result.json["fn"] == "billing"
    assert 0 < result.json["left"] <= 5000


def test_a_driven_clock_lets_a_test_reach_the_deadline_without_waiting() -> None:
    from pypwext.kinds._batch import SqsBatchService
    from pypwext.testing import sqs_event

    now = [1_000.0]
    done: list[str] = []

    class Slow(SqsBatchService):
        def process_record(self, record: str) -> None:
            done.append(record)
            now[0] += 1.0  # each record takes a second of the invocation's 3.5 s

    event = sqs_event(["a", "b", "c", "d", "e"])
    ctx = lambda_context(timeout_s=3.5, clock=lambda: now[0])
    assert ctx.get_remaining_time_in_millis() == 3500
    answer = Slow.handler(event, ctx)
    # with the 1 s margin, records start at 3.5, 2.5 and 1.5 s left; the rest are reported back
    assert done == ["a", "b", "c"]
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed == [r["messageId"] for r in event["Records"][3:]]
    assert ctx.get_remaining_time_in_millis() == 500
    now[0] += 10
    assert ctx.get_remaining_time_in_millis() == 0  # never negative on a driven clock either


# --- invoke -----------------------------------------------------------------------------------


class Orders(BaseService):
    """A small service that answers differently by path (direct invokes send {"path": ...})."""

    just_status_code = False

    def execute(self, request: Request) -> Any:
        path = request.path or request.json().get("path", "")
        if path == "/missing":
            raise NotFound("no such order", details={"id": 7})
        if path == "/cookies":
            return Response(
                201,
                {"id": 7},
                headers={"Location": "/orders/7"},
                cookies=["session=abc; HttpOnly", "theme=dark"],
            )
        if path == "/partial":
            self.errors.collect(ServiceError("inventory down", code=503, action=ErrorAction.CONTINUE))
            self.errors.collect(NotFound("item 2 gone", action=ErrorAction.CONTINUE))
            return {"id": 7}
        if path == "/bytes":
            return b"\x00\x01"
        if path == "/text":
            return "hello"
        return {"id": 7, "path": path}


INVOKE_SOURCES: list[tuple[str, Callable[[str], Any]]] = [
    ("rest", lambda path: api_gateway_event("GET", path)),
    ("http-api", lambda path: api_gateway_event("GET", path, version="2.0")),
    ("function-url", lambda path: function_url_event("GET", path)),
    ("alb", lambda path: alb_event("GET", path)),
    ("alb-multi", lambda path: alb_event("GET", path, multi_value=True)),
    ("direct", lambda path: {"path": path}),
]


@pytest.fixture(params=[s[1] for s in INVOKE_SOURCES], ids=[s[0] for s in INVOKE_SOURCES])
def event_for(request: pytest.FixtureRequest) -> Callable[[str], Any]:
    return request.param  # type: ignore[no-any-return]


def test_invoke_success(event_for: Callable[[str], Any]) -> None:
    result = invoke(Orders, event_for("/orders"))
    assert isinstance(result, InvokeResult)
    assert result.status == 200
    assert result.json["id"] == 7
    assert json.loads(result.body)["id"] == 7
    assert result.headers["CONTENT-TYPE"] == "application/json"
    assert result.errors == []
    assert result.cookies == []


def test_invoke_cookies_and_headers(event_for: Callable[[str], Any]) -> None:
    event = event_for("/cookies")
    result = invoke(Orders, event)
    assert result.status == 201
    assert result.json == {"id": 7}
    assert result.headers["location"] == "/orders/7"
    if detect_source(event) is EventSource.DIRECT:
        assert result.cookies == []  # a direct-invoke document carries no cookies
    else:
        assert result.cookies == ["session=abc; HttpOnly", "theme=dark"]


def test_invoke_one_error(event_for: Callable[[str], Any]) -> None:
    result = invoke(Orders, event_for("/missing"))
    assert result.status == 404
    assert result.errors == [
        {"code": 404, "msg": "no such order", "classification": "NA", "details": {"id": 7}}
    ]


def test_invoke_collected_errors(event_for: Callable[[str], Any]) -> None:
    result = invoke(Orders, event_for("/partial"))
    assert result.status == 503
    assert [e["code"] for e in result.errors] == [503, 404]
    assert result.json["id"] == 7


def test_invoke_bytes_and_text(event_for: Callable[[str], Any]) -> None:
    binary = invoke(Orders, event_for("/bytes"))
    assert binary.is_base64 and binary.content == b"\x00\x01" and binary.json is None
    text = invoke(Orders, event_for("/text"))
    assert text.body == "hello" and text.content == b"hello"
    if detect_source(event_for("/text")) is EventSource.DIRECT:
        assert text.json == "hello"  # the document's body is the JSON value itself
    else:
        assert text.json is None  # text/plain is not parsed


def test_invoke_takes_an_instance_a_class_or_a_handler() -> None:
    event = api_gateway_event("GET", "/orders")
    for target in (Orders, Orders(), Orders.handler):
        assert invoke(target, event).json == {"id": 7, "path": "/orders"}


def test_invoke_a_plain_handler() -> None:
    def handler(event: Any, context: Any) -> Any:
        return {"seen": event["x"], "fn": context.function_name}

    result = invoke(handler, {"x": 1})
    assert (result.status, result.json, result.errors) == (200, {"seen": 1, "fn": "test-function"}, [])

    def http_handler(event: Any, context: Any) -> Any:
        return {
            "statusCode": 302,
            "headers": {"Location": "/x"},
            "multiValueHeaders": {"Set-Cookie": ["a=1"]},
            "body": "",
        }

    redirect = invoke(http_handler, api_gateway_event())
    assert (redirect.status, redirect.headers["location"], redirect.cookies, redirect.json) == (
        302,
        "/x",
        ["a=1"],
        None,
    )


def test_invoke_refuses_a_class_that_is_not_a_service() -> None:
    with pytest.raises(TypeError, match="service class"):
        invoke(dict, {})  # type: ignore[arg-type]


def test_read_result_reads_alb_cookie_case_variants() -> None:
    raw = {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"Set-Cookie": "a=1", "set-Cookie": "b=2", "Content-Type": "application/json"},
        "body": '{"error": [{"code": 409, "msg": "x"}]}',
        "isBase64Encoded": False,
    }
    result = read_result(raw)
    assert result.cookies == ["a=1", "b=2"]
    assert result.errors == [{"code": 409, "msg": "x"}]
    assert result.raw is raw


def test_read_result_prefers_multi_value_headers() -> None:
    raw = {"statusCode": 200, "headers": {"X-A": "1"}, "multiValueHeaders": {"x-a": ["2", "3"]}, "body": "{}"}
    result = read_result(raw)
    assert result.headers.get_all("X-A") == ["2", "3"]
    assert result.json == {}


def test_read_result_of_a_base64_json_body() -> None:
    body = base64.b64encode(b'{"a": 1}').decode()
    result = read_result({"statusCode": 200, "body": body, "isBase64Encoded": True})
    assert result.json == {"a": 1}
    assert result.content == b'{"a": 1}'
