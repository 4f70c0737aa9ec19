"""Edge cases of event-source detection and request parsing (the real samples are in
tests/conformance)."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pypwext import codec
from pypwext.errors import BadRequest
from pypwext.testing import alb_event, api_gateway_event
from pypwext.wire._events import EventSource, Headers, Request, detect_source, parse_request


def rest(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "resource": "/orders/{id}",
        "path": "/orders/7",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"id": "7"},
        "requestContext": {"requestId": "rest-1", "stage": "prod"},
        "body": '{"a": 1}',
        "isBase64Encoded": False,
    }
    event.update(fields)
    return event


def v2(domain: str = "abc123.execute-api.eu-west-1.amazonaws.com", **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/orders/7",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "domainName": domain,
            "http": {"method": "post", "path": "/orders/7"},
            "requestId": "v2-1",
            "stage": "$default",
        },
        "body": '{"a": 1}',
        "isBase64Encoded": False,
    }
    event.update(fields)
    return event


def alb(multi: bool = False, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:..."}},
        "httpMethod": "GET",
        "path": "/lambda",
        "body": "",
        "isBase64Encoded": False,
    }
    if multi:
        event["multiValueHeaders"] = {"x-amzn-trace-id": ["Root=1-abc"], "accept": ["*/*"]}
        event["multiValueQueryStringParameters"] = {}
    else:
        event["headers"] = {"x-amzn-trace-id": "Root=1-abc", "accept": "*/*"}
        event["queryStringParameters"] = {}
    event.update(fields)
    return event


def context(request_id: str = "ctx-1") -> SimpleNamespace:
    return SimpleNamespace(aws_request_id=request_id, function_name="f")


# --- detection -------------------------------------------------------------------------------


def test_event_source_values_and_is_http():
    assert [s.value for s in EventSource] == ["rest", "http-api", "function-url", "alb", "direct"]
    assert all(s.is_http for s in EventSource if s is not EventSource.DIRECT)
    assert not EventSource.DIRECT.is_http
    assert EventSource("alb") is EventSource.ALB and str(EventSource.ALB) == "alb"


@pytest.mark.parametrize(
    ("event", "source"),
    [
        (rest(), EventSource.API_GATEWAY_REST),
        (rest(version="1.0"), EventSource.API_GATEWAY_REST),
        (v2(), EventSource.API_GATEWAY_HTTP),
        (v2("api.example.com"), EventSource.API_GATEWAY_HTTP),  # HTTP API custom domain
        (v2("abcdefgh1234.lambda-url.eu-west-1.on.aws"), EventSource.FUNCTION_URL),
        (v2("ABCDEFGH1234.LAMBDA-URL.eu-west-1.ON.AWS"), EventSource.FUNCTION_URL),
        (v2("x.lambda-url.eu-west-1.on.aws.evil.com"), EventSource.API_GATEWAY_HTTP),
        (alb(), EventSource.ALB),
        (alb(multi=True), EventSource.ALB),
        (alb(version="2.0"), EventSource.ALB),
        ({"httpMethod": "GET"}, EventSource.DIRECT),  # no requestContext: e.g. a Bedrock agent
        ({"requestContext": None, "httpMethod": "GET"}, EventSource.DIRECT),
        (rest(version="3.0"), EventSource.DIRECT),
        (v2(requestContext={"requestId": "x"}), EventSource.DIRECT),  # 2.0 without http
        (rest(type="REQUEST", methodArn="arn:..."), EventSource.DIRECT),  # a REST authorizer
        (v2(type="REQUEST", routeArn="arn:..."), EventSource.DIRECT),  # an HTTP API authorizer
        ({"Records": [{"eventSource": "aws:sqs"}]}, EventSource.DIRECT),
    ],
)
def test_detect_source(event, source):
    assert detect_source(event) is source


def test_function_url_detected_by_host_when_domain_name_is_missing():
    event = v2()
    del event["requestContext"]["domainName"]
    event["headers"]["Host"] = "abc.lambda-url.us-east-1.on.aws"
    assert detect_source(event) is EventSource.FUNCTION_URL
    event["headers"]["Host"] = "api.example.com"
    assert detect_source(event) is EventSource.API_GATEWAY_HTTP


@pytest.mark.parametrize("event", [[1, 2], "hello", 42, 4.2, True, None, {}, {"order": 7}, []])
def test_direct_events_of_any_json_type(event):
    assert detect_source(event) is EventSource.DIRECT
    request = parse_request(event, context("ctx-9"))
    assert request.source is EventSource.DIRECT
    assert request.method == "INVOKE" and request.path == ""
    assert request.json() is event  # kept, not re-parsed
    assert request.body == codec.dumps(event).encode()
    assert json.loads(request.body) == event
    assert request.request_id == "ctx-9"
    assert request.headers == {} and request.query == {} and request.cookies == {}
    assert request.multi_value is False and request.origin is None


def test_direct_without_context_has_no_request_id():
    assert parse_request({"a": 1}).request_id is None
    assert parse_request({"a": 1}, object()).request_id is None


def test_direct_event_that_is_not_json_is_a_bad_request():
    with pytest.raises(BadRequest) as info:
        parse_request({"when": object()})
    assert info.value.details["problems"][0]["reason"]


# --- null and missing parts ------------------------------------------------------------------


@pytest.mark.parametrize("builder", [rest, v2, alb, lambda **kw: alb(multi=True, **kw)])
def test_null_parts_are_empty(builder):
    event = builder(
        headers=None,
        multiValueHeaders=None,
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
        pathParameters=None,
        body=None,
        cookies=None,
        isBase64Encoded=None,
    )
    request = parse_request(event)
    assert request.source.is_http
    assert request.headers == {} and len(request.headers) == 0
    assert request.query == {} and request.multi_query == {} and request.path_params == {}
    assert request.cookies == {} and request.body == b"" and request.json() is None
    assert request.text == "" and request.content_type is None and request.origin is None


def test_missing_parts_are_empty():
    request = parse_request({"httpMethod": "get", "requestContext": {}})
    assert request.source is EventSource.API_GATEWAY_REST
    assert request.method == "GET" and request.path == "" and request.body == b""
    assert request.request_id is None and request.multi_value is False


def test_null_values_inside_maps_are_dropped():
    request = parse_request(
        rest(headers={"A": None, "B": "b"}, multiValueHeaders={"C": None, "D": ["d", None]})
    )
    assert dict(request.headers) == {"B": "b", "D": "d"}
    assert "a" not in request.headers and request.header_values("c") == []


# --- bodies ----------------------------------------------------------------------------------


def test_base64_body_is_decoded():
    payload = bytes(range(256))
    request = parse_request(rest(body=base64.b64encode(payload).decode(), isBase64Encoded=True))
    assert request.body == payload


@pytest.mark.parametrize("body", ["Hello from Lambda!", "abc", "Zm9v\nYmFy", "Zm9vY", "ÿÿÿÿ"])
def test_bad_base64_body_is_a_bad_request(body):
    with pytest.raises(BadRequest) as info:
        parse_request(v2(body=body, isBase64Encoded=True))
    assert info.value.code == 400
    assert info.value.details["problems"][0]["path"] == "body" and info.value.details["problems"][0]["reason"]


def test_body_is_base64_only_when_flag_is_true():
    assert parse_request(rest(body="Zm9v", isBase64Encoded="true")).body == b"Zm9v"


def test_text_body_is_utf8():
    request = parse_request(v2(body="héllo"))
    assert request.body == "héllo".encode() and request.text == "héllo"


def test_text_that_is_not_utf8_is_a_bad_request():
    request = parse_request(v2(body=base64.b64encode(b"\xff\xfe").decode(), isBase64Encoded=True))
    with pytest.raises(BadRequest) as info:
        _ = request.text
    assert info.value.details["problems"][0]["reason"]


@pytest.mark.parametrize("body", ['{"a": ', "not json", "{'a': 1}", "[1,]", "  "])
def test_malformed_json_is_a_bad_request_with_a_reason(body):
    request = parse_request(rest(body=body))
    with pytest.raises(BadRequest) as info:
        request.json()
    assert info.value.msg == "malformed JSON body"
    assert (
        isinstance(info.value.details["problems"][0]["reason"], str)
        and info.value.details["problems"][0]["reason"]
    )


def test_json_body_that_is_not_utf8_is_a_bad_request():
    request = parse_request(rest(body=base64.b64encode(b'{"a": "\xff"}').decode(), isBase64Encoded=True))
    with pytest.raises(BadRequest):
        request.json()


def test_json_body():
    assert parse_request(rest(body='{"a": [1, 2]}')).json() == {"a": [1, 2]}
    assert parse_request(rest(body="null")).json() is None
    assert parse_request(rest(body="")).json() is None
    assert parse_request(rest(body="[1]")).json() == [1]


@pytest.mark.parametrize(
    "fields",
    [
        {"body": {"a": 1}},  # a hand-written event with an object body
        {"body": 42},
        {"headers": ["Content-Type: x"]},
        {"headers": {"X": {"nested": 1}}},
        {"multiValueHeaders": "x"},
        {"queryStringParameters": [1]},
        {"pathParameters": "7"},
        {"httpMethod": None},
        {"httpMethod": ""},
        {"path": ["a"]},
    ],
)
def test_malformed_event_parts_are_bad_requests(fields):
    event = rest(**fields)
    if fields.get("httpMethod", "x") in (None, ""):
        event["httpMethod"] = fields["httpMethod"]
        event = {**event, "requestContext": {"elb": {}}}  # still an HTTP source: an ALB
    with pytest.raises(BadRequest) as info:
        parse_request(event)
    assert info.value.details["problems"][0]["reason"]


def test_scalar_values_become_strings():
    request = parse_request(rest(headers={"X-N": 5, "X-B": True}, queryStringParameters={"n": 1.5}))
    assert request.headers["x-n"] == "5" and request.headers["x-b"] == "true"
    assert request.query == {"n": "1.5"}


# --- headers ---------------------------------------------------------------------------------


def test_headers_are_case_insensitive_and_read_only():
    request = parse_request(
        rest(headers={"Content-Type": "application/json", "X-Trace": "t"}, multiValueHeaders=None)
    )
    headers = request.headers
    for name in ("content-type", "CONTENT-TYPE", "Content-Type", "cOnTeNt-TyPe"):
        assert headers[name] == "application/json"
        assert name in headers
        assert headers.get(name) == "application/json"
    assert headers.get("missing") is None and "missing" not in headers and 42 not in headers  # type: ignore[comparison-overlap]
    assert list(headers) == ["Content-Type", "X-Trace"]
    assert dict(headers) == {"Content-Type": "application/json", "X-Trace": "t"}
    with pytest.raises(KeyError):
        headers["missing"]
    with pytest.raises(TypeError):
        headers["X-New"] = "v"  # type: ignore[index]
    with pytest.raises(AttributeError):
        request.method = "PUT"  # type: ignore[misc]


def test_multi_value_headers_keep_every_value():
    request = parse_request(
        rest(
            headers={"Accept": "text/html", "X-Forwarded-For": "2.2.2.2"},
            multiValueHeaders={
                "accept": ["application/json", "text/html"],
                "x-forwarded-for": ["1.1.1.1", "2.2.2.2"],
            },
        )
    )
    assert request.header_values("ACCEPT") == ["application/json", "text/html"]
    assert request.headers["accept"] == "text/html"  # the single value the source picked
    assert request.header_values("X-Forwarded-For") == ["1.1.1.1", "2.2.2.2"]
    assert request.header_values("missing") == []
    assert request.multi_value is True


def test_repeated_headers_in_different_case():
    request = parse_request(alb(multi=True, multiValueHeaders={"X-A": ["1"], "x-a": ["2", "3"]}))
    assert request.header_values("x-A") == ["1", "2", "3"]
    assert request.headers["X-A"] == "3"
    assert len(request.headers) == 1


def test_headers_class_directly():
    headers = Headers({"A": "1"}, {"b": ["2", "3"]})
    assert headers["a"] == "1" and headers["B"] == "3" and headers.get_all("A") == ["1"]
    assert headers == Headers({"a": "1"}, {"B": ["2", "3"]}) and headers == {"A": "1", "b": "3"}
    assert "Headers(" in repr(headers)


def test_v2_headers_joined_by_the_source_stay_one_value():
    request = parse_request(v2(headers={"Accept": "a/b, c/d"}))
    assert request.header_values("accept") == ["a/b, c/d"]
    assert request.multi_value is False


def test_content_type_and_origin():
    request = parse_request(
        v2(headers={"Content-Type": " Application/JSON ; charset=UTF-8", "origin": "https://x.test"})
    )
    assert request.content_type == "application/json"
    assert request.origin == "https://x.test"
    assert parse_request(v2(headers={"content-type": ""})).content_type is None
    assert parse_request(v2(headers={})).content_type is None


# --- query strings ---------------------------------------------------------------------------


def test_alb_query_strings_are_url_decoded():
    request = parse_request(
        alb(queryStringParameters={"na%20me": "John%20Doe", "q": "a%2Bb+c", "e": "%E2%82%AC"})
    )
    assert request.query == {"na me": "John Doe", "q": "a+b c", "e": "€"}
    assert request.multi_query == {"na me": ["John Doe"], "q": ["a+b c"], "e": ["€"]}


def test_alb_multi_value_query_strings_are_url_decoded():
    request = parse_request(
        alb(multi=True, multiValueQueryStringParameters={"tag": ["a%26b", "c%3Dd"], "x": []})
    )
    assert request.multi_query == {"tag": ["a&b", "c=d"], "x": []}
    assert request.query == {"tag": "c=d"}  # last value wins


def test_api_gateway_query_strings_are_taken_as_decoded():
    request = parse_request(
        rest(
            queryStringParameters={"q": "a%20b", "t": "2"},
            multiValueQueryStringParameters={"q": ["a%20b"], "t": ["1", "2"]},
        )
    )
    assert request.query == {"q": "a%20b", "t": "2"}
    assert request.multi_query == {"q": ["a%20b"], "t": ["1", "2"]}


def test_rest_multi_only_query_takes_the_last_value():
    request = parse_request(rest(multiValueQueryStringParameters={"t": ["1", "2"]}))
    assert request.query == {"t": "2"}


def test_v2_repeated_keys_are_split_from_the_raw_query_string():
    request = parse_request(
        v2(
            rawQueryString="a=1&a=2&b=x%2Cy&c=&d=hello+world",
            queryStringParameters={"a": "1,2", "b": "x,y", "c": "", "d": "hello world"},
        )
    )
    assert request.multi_query == {"a": ["1", "2"], "b": ["x,y"], "c": [""], "d": ["hello world"]}
    assert request.query == {"a": "2", "b": "x,y", "c": "", "d": "hello world"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a=1&&b=", {"a": ["1"], "b": [""]}),  # empty pairs dropped, blank values kept
        ("flag&x==y", {"flag": [""], "x": ["=y"]}),  # no "=", or more than one
        ("a=1;b=2", {"a": ["1;b=2"]}),  # ";" separates nothing (as parse_qsl since 3.10)
        ("q=a%26b&r=x+y", {"q": ["a&b"], "r": ["x y"]}),  # decoded only when encoded
    ],
)
def test_v2_query_pairs_are_split_as_parse_qsl_splits_them(raw: str, expected: dict[str, list[str]]):
    assert parse_request(v2(rawQueryString=raw)).multi_query == expected


def test_v2_without_raw_query_string_keeps_the_map_as_sent():
    event = v2(queryStringParameters={"a": "1,2"})
    del event["rawQueryString"]
    request = parse_request(event)
    assert request.query == {"a": "1,2"} and request.multi_query == {"a": ["1,2"]}


# --- paths, cookies, ids -------------------------------------------------------------------


def test_http_api_stage_prefix_is_removed():
    event = v2(rawPath="/dev/orders/7")
    event["requestContext"]["stage"] = "dev"
    assert parse_request(event).path == "/orders/7"
    event["requestContext"]["stage"] = "$default"
    assert parse_request(event).path == "/dev/orders/7"


def test_v2_path_falls_back_to_request_context():
    event = v2()
    del event["rawPath"]
    assert parse_request(event).path == "/orders/7"


def test_cookies_from_the_v2_list():
    request = parse_request(v2(cookies=["a=1", 'b="quoted"', "c", "d=x=y"], headers={"cookie": "z=9"}))
    assert request.cookies == {"a": "1", "b": "quoted", "c": "", "d": "x=y"}


def test_cookies_from_the_cookie_header():
    request = parse_request(
        rest(
            headers={"Cookie": "a=1; b=2;; =x; c"}, multiValueHeaders={"cookie": ["a=1; b=2;; =x; c", "d=4"]}
        )
    )
    assert request.cookies == {"a": "1", "b": "2", "c": "", "d": "4"}
    assert parse_request(v2(headers={"Cookie": "s=abc"})).cookies == {"s": "abc"}


def test_request_ids():
    assert parse_request(rest(), context()).request_id == "rest-1"
    assert parse_request(v2(), context()).request_id == "v2-1"
    assert parse_request(alb(), context()).request_id == "Root=1-abc"
    assert parse_request(alb(headers={}), context()).request_id == "ctx-1"
    assert parse_request(rest(requestContext={}), None).request_id is None


def test_path_parameters_and_context_are_kept():
    ctx = context()
    event = rest()
    request = parse_request(event, ctx)
    assert request.path_params == {"id": "7"}
    assert request.context is ctx and request.raw_event is event
    assert request.method == "POST" and request.path == "/orders/7"


def test_request_is_frozen_and_comparable():
    a, b = parse_request(rest()), parse_request(rest())
    assert a == b and isinstance(a, Request)


# --- never anything but BadRequest -----------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
header_maps = st.none() | st.dictionaries(st.text(max_size=12), json_scalars, max_size=5) | json_values
multi_maps = (
    st.none()
    | st.dictionaries(
        st.text(max_size=12), st.none() | st.lists(json_scalars, max_size=3) | json_scalars, max_size=5
    )
    | json_values
)
bodies = st.none() | st.text() | st.binary().map(lambda b: base64.b64encode(b).decode()) | json_values


def _http_event(draw: st.DrawFn) -> dict[str, Any]:
    base = draw(st.sampled_from([rest(), v2(), v2("x.lambda-url.r.on.aws"), alb(), alb(multi=True)]))
    for field, strategy in [
        ("headers", header_maps),
        ("multiValueHeaders", multi_maps),
        ("queryStringParameters", header_maps),
        ("multiValueQueryStringParameters", multi_maps),
        ("pathParameters", header_maps),
        ("cookies", st.none() | st.lists(json_scalars, max_size=3) | json_values),
        ("rawQueryString", st.none() | st.text() | json_values),
        ("rawPath", st.none() | st.text() | json_values),
        ("path", st.none() | st.text() | json_values),
        ("httpMethod", st.none() | st.text() | json_values),
        ("body", bodies),
        ("isBase64Encoded", st.booleans() | json_values),
    ]:
        if draw(st.booleans()):
            base[field] = draw(strategy)
    if draw(st.booleans()):
        base["requestContext"] = {**base["requestContext"], draw(st.text(max_size=8)): draw(json_values)}
    return base


@st.composite
def events(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return draw(json_values)
    return _http_event(draw)


def _exercise(request: Request) -> None:
    for read in (lambda: request.text, request.json, lambda: request.content_type):
        try:
            read()
        except BadRequest:
            pass
    for name in list(request.headers):
        # Header names are ASCII tokens (RFC 9110): case-insensitive for ASCII letters; Unicode
        # case mappings such as "ß".upper() == "SS" are not header-name equivalences.
        ascii_upper = "".join(c.upper() if c.isascii() else c for c in name)
        assert request.headers[name] == request.headers[ascii_upper]
        assert request.header_values(name)


@settings(max_examples=400, deadline=None)
@given(events())
def test_parse_request_raises_nothing_but_bad_request(event):
    try:
        request = parse_request(event)
    except BadRequest as exc:
        assert exc.code == 400 and exc.details["problems"][0]["reason"]
        return
    assert request.source is detect_source(event)
    assert isinstance(request.body, bytes) and isinstance(request.path, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in request.query.items())
    assert all(isinstance(v, list) for v in request.multi_query.values())
    _exercise(request)


def test_headers_from_the_two_maps_of_a_rest_event_follow_the_general_rules():
    # The same names in both maps (what API Gateway REST sends) take a shorter path; these are
    # the answers of the general rules, which a map with one more name still takes.
    cases = [
        ({"A": "1", "B": "2"}, {"A": ["0", "1"], "B": ["2"]}),
        ({"A": "1", "B": "2"}, {"A": [], "B": ["2"]}),  # an empty list: the single value stands
        ({"X-A": "1", "x-a": "2"}, {"X-A": ["1"], "x-a": ["2"]}),  # two spellings of one name
    ]
    expected = [
        ({"a": "1", "b": "2"}, {"a": ["0", "1"], "b": ["2"]}, ["A", "B"]),
        ({"a": "1", "b": "2"}, {"a": ["1"], "b": ["2"]}, ["A", "B"]),
        ({"x-a": "2"}, {"x-a": ["1", "2"]}, ["X-A"]),
    ]
    for (single, multi), (values, all_values, names) in zip(cases, expected, strict=True):
        for extra in ({}, {"Only-Single": "s"}):  # with one more name: the general rules
            headers = Headers({**single, **extra}, multi)
            assert {name: headers[name] for name in values} == values
            assert {name: headers.get_all(name) for name in all_values} == all_values
            assert list(headers) == names + list(extra)
            assert headers.get("only-single") == extra.get("Only-Single")


# --- limits and our words -------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_before_it_is_decoded():
    from pypwext.errors import PayloadTooLarge
    from pypwext.wire._events import MAX_BODY_BYTES

    assert len(parse_request(rest(body="x" * MAX_BODY_BYTES)).body) == MAX_BODY_BYTES
    exact = base64.b64encode(b"x" * MAX_BODY_BYTES).decode()
    assert len(parse_request(v2(body=exact, isBase64Encoded=True)).body) == MAX_BODY_BYTES
    for event in (
        rest(body="x" * (MAX_BODY_BYTES + 1)),
        rest(body="\u00e9" * (MAX_BODY_BYTES // 2 + 1)),  # fewer characters, more bytes
        v2(body=base64.b64encode(b"x" * (MAX_BODY_BYTES + 1)).decode(), isBase64Encoded=True),
        v2(body="!" * (10 * MAX_BODY_BYTES), isBase64Encoded=True),  # never decoded: not even checked
    ):
        with pytest.raises(PayloadTooLarge) as info:
            parse_request(event)
        assert info.value.code == 413 and isinstance(info.value, BadRequest)
        assert info.value.details["problems"][0]["path"] == "body"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (lambda: rest(headers={"X-A": "\ud800"}), "headers"),
        (lambda: rest(headers={"\udc00": "1"}), "headers"),
        (lambda: rest(multiValueHeaders={"X-A": ["ok", "\ud800"]}), "multiValueHeaders"),
        (lambda: rest(queryStringParameters={"q": "\ud800"}), "queryStringParameters"),
        (lambda: rest(pathParameters={"id": "\ud800"}), "pathParameters"),
        (lambda: rest(path="/orders/\ud800"), "path"),
        (lambda: v2(rawQueryString="", cookies=["a=\ud800"]), "cookies"),
        (lambda: rest(body='{"a": "\ud800"}'), "body"),
    ],
)
def test_unpaired_surrogates_are_refused_where_a_client_puts_them(event, field):
    with pytest.raises(BadRequest) as info:
        parse_request(event())
    assert info.value.details["problems"] == [
        {"path": field, "reason": "holds an unpaired surrogate, which is not Unicode text"}
    ]


def test_non_ascii_text_is_not_refused():
    request = parse_request(rest(headers={"X-Name": "Åsa 😀"}, pathParameters={"id": "é"}))
    assert request.headers["x-name"] == "Åsa 😀" and request.path_params == {"id": "é"}


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (lambda: v2(body="Zm9vY", isBase64Encoded=True), "not valid base64 (RFC 4648)"),
        (lambda: rest(body={"a": 1}), "expected a string, got an object"),
        (lambda: rest(headers=["a"]), "expected an object, got an array"),
        (lambda: rest(headers={"X-A": {"b": 1}}), "expected a string, got an object"),
    ],
)
def test_reasons_are_pypwexts_own_words(event, reason):
    with pytest.raises(BadRequest) as info:
        parse_request(event())
    assert info.value.details["problems"][0]["reason"] == reason


def test_body_reasons_name_the_place_not_pythons_exception():
    request = parse_request(v2(body=base64.b64encode(b"ok\xff").decode(), isBase64Encoded=True))
    with pytest.raises(BadRequest) as info:
        _ = request.text
    assert info.value.details["problems"][0]["reason"] == "not valid UTF-8 (at byte 2)"
    with pytest.raises(BadRequest) as info:
        request.json()
    assert info.value.details["problems"][0]["reason"] == "not valid UTF-8 text (at byte 2)"
    with pytest.raises(BadRequest) as info:
        parse_request(rest(body="[1, 2")).json()
    assert info.value.details["problems"][0]["reason"] == (
        "not valid JSON: expected ',' or the end of the array or object at line 1, column 6"
    )


@pytest.mark.parametrize(
    "event",
    [
        api_gateway_event("POST", "/orders", body={"order": 7}),
        api_gateway_event("POST", "/orders", body={"order": 7}, version="2.0"),
        alb_event("POST", "/orders", body={"order": 7}),
        api_gateway_event("POST", "/orders", body=b'{"order": 7}'),  # base64 in the event
        {"order": 7},  # a direct invoke
    ],
    ids=["rest", "http-api", "alb", "base64", "direct"],
)
def test_json_reads_the_requests_own_body_not_the_events(event: dict[str, Any]) -> None:
    request = parse_request(event)
    assert request.json() == {"order": 7}
    changed = attrs.evolve(request, body=b'{"order": 8}')
    assert changed.json() == {"order": 8}
    emptied = attrs.evolve(request, body=b"").json()
    # no body: None over HTTP; a direct invoke without a body is the event itself, as it always was
    assert emptied == ({"order": 7} if request.source is EventSource.DIRECT else None)
    assert attrs.evolve(request, path="/other").json() == {"order": 7}  # same body, same answer
    assert request.json() == {"order": 7}  # the original is untouched
    with pytest.raises(BadRequest):
        attrs.evolve(request, body=b"{not json").json()


def test_a_direct_request_wrapped_without_a_body_still_reads_as_the_event() -> None:
    wrapped = Request(source=EventSource.DIRECT, method="INVOKE", path="", raw_event=[1, 2])
    assert wrapped.json() == [1, 2]
