"""Response validation, the per-source adapters' rules and the direct-invoke document."""

from __future__ import annotations

import base64
import json
import re
from http import HTTPStatus
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pypwext.errors import BadRequest, InternalError, NotFound, ServiceError, UnprocessableEntity
from pypwext.wire._events import EventSource, Request, parse_request
from pypwext.wire._responses import Response, from_direct, is_direct_document, to_source


def request_for(source: EventSource, multi_value: bool = False) -> Request:
    return Request(source=source, method="GET", path="/", multi_value=multi_value)


REST = request_for(EventSource.API_GATEWAY_REST, True)
HTTP = request_for(EventSource.API_GATEWAY_HTTP)
URL = request_for(EventSource.FUNCTION_URL)
ALB = request_for(EventSource.ALB)
ALB_MULTI = request_for(EventSource.ALB, True)
DIRECT = parse_request({"order": 7})
ALL = [REST, HTTP, URL, ALB, ALB_MULTI, DIRECT]


def headers_of(out: dict[str, Any]) -> dict[str, list[str]]:
    """Every header of an adapted response, by lower-case name, whatever the shape."""
    found: dict[str, list[str]] = {}
    for name, value in (out.get("headers") or {}).items():
        found.setdefault(name.lower(), []).append(value)
    for name, values in (out.get("multiValueHeaders") or {}).items():
        found.setdefault(name.lower(), []).extend(values)
    return found


# --- Response ---------------------------------------------------------------------------------


def test_response_defaults():
    r = Response()
    assert (r.status, r.body, r.headers, r.cookies, r.multi_headers, r.errors) == (200, None, {}, [], {}, [])
    assert Response().headers is not r.headers  # no shared mutable default


@pytest.mark.parametrize("status", [99, 600, -1, 0, 1000, True, "200", 200.0, None])
def test_response_status_is_validated(status):
    with pytest.raises(ValueError):
        Response(status)


def test_response_status_is_validated_on_assignment():
    r = Response(HTTPStatus.CREATED)
    with pytest.raises(ValueError):
        r.status = 42
    r.status = 100
    r.status = 599


# --- bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_", [REST, HTTP, URL, ALB, ALB_MULTI], ids=lambda r: f"{r.source}-{r.multi_value}"
)
@pytest.mark.parametrize(
    ("body", "text", "b64", "content_type"),
    [
        (None, "", False, None),
        ("", "", False, "text/plain; charset=utf-8"),
        ("hé", "hé", False, "text/plain; charset=utf-8"),
        (b"\x00\xff", "AP8=", True, "application/octet-stream"),
        (bytearray(b"ab"), "YWI=", True, "application/octet-stream"),
        ({"a": [1, None]}, '{"a":[1,null]}', False, "application/json"),
        ([1, 2], "[1,2]", False, "application/json"),
        (0, "0", False, "application/json"),
        (False, "false", False, "application/json"),
    ],
)
def test_body_encoding(request_, body, text, b64, content_type):
    out = to_source(Response(body=body), request_)
    assert out["body"] == text and out["isBase64Encoded"] is b64
    assert headers_of(out).get("content-type") == ([content_type] if content_type else None)


def test_content_type_set_by_the_service_is_kept_in_any_case():
    for request in ALL:
        out = to_source(
            Response(body={"a": 1}, headers={"content-type": "application/problem+json"}), request
        )
        assert headers_of(out)["content-type"] == ["application/problem+json"]
        out = to_source(Response(body=b"x", multi_headers={"CONTENT-TYPE": ["image/png"]}), request)
        assert headers_of(out)["content-type"] == ["image/png"]


def test_header_values_are_strings():
    for request in ALL:
        out = to_source(Response(headers={"X-Count": 3}, multi_headers={"X-M": [1, 2]}), request)  # type: ignore[dict-item,list-item]
        json.dumps(out)
        assert headers_of(out)["x-count"] == ["3"]
        if request.source is EventSource.DIRECT:
            assert out["headers"]["X-M"] == "1, 2"


def test_a_header_given_twice_is_merged():
    r = Response(headers={"Vary": "Origin"}, multi_headers={"vary": ["Accept"], "X-One": "single"})  # type: ignore[dict-item]
    assert to_source(r, REST)["multiValueHeaders"] == {"Vary": ["Origin", "Accept"], "X-One": ["single"]}
    assert to_source(r, HTTP)["headers"] == {"Vary": "Origin, Accept", "X-One": "single"}


def test_set_cookie_headers_are_treated_as_cookies():
    r = Response(headers={"Set-Cookie": "a=1"}, multi_headers={"set-cookie": ["b=2"]}, cookies=["c=3"])
    assert to_source(r, HTTP)["cookies"] == ["c=3", "a=1", "b=2"]
    assert to_source(r, HTTP)["headers"] == {}
    assert to_source(r, REST)["multiValueHeaders"] == {"Set-Cookie": ["c=3", "a=1", "b=2"]}


def test_response_is_not_modified_by_adapting():
    r = Response(201, {"a": 1}, headers={"X": "1"}, cookies=["a=1"], multi_headers={"V": ["1", "2"]})
    before = (r.status, dict(r.headers), list(r.cookies), {k: list(v) for k, v in r.multi_headers.items()})
    for request in ALL:
        out = to_source(r, request)
        for values in (out.get("multiValueHeaders") or {}).values():
            values.append("mutated")
    assert before == (r.status, r.headers, r.cookies, r.multi_headers)


# --- per source -------------------------------------------------------------------------------


def test_rest_shape():
    out = to_source(Response(HTTPStatus.ACCEPTED, "ok", headers={"X": "1"}), REST)
    assert out == {
        "statusCode": 202,
        "headers": {"X": "1", "Content-Type": "text/plain; charset=utf-8"},
        "multiValueHeaders": {},
        "body": "ok",
        "isBase64Encoded": False,
    }
    assert type(out["statusCode"]) is int


def test_v2_shape_always_has_a_cookie_list():
    for request in (HTTP, URL):
        out = to_source(Response(404), request)
        assert out == {"statusCode": 404, "headers": {}, "cookies": [], "body": "", "isBase64Encoded": False}


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (200, "200 OK"),
        (201, "201 Created"),
        (404, "404 Not Found"),
        (418, "418 I'm a Teapot"),
        (299, "299 Unknown"),
        (503, "503 Service Unavailable"),
    ],
)
def test_alb_status_description(status, description):
    assert to_source(Response(status), ALB)["statusDescription"] == description
    assert to_source(Response(status), ALB_MULTI)["statusDescription"] == description


def test_alb_multi_value_answers_in_kind():
    out = to_source(Response(cookies=["a=1", "b=2"], headers={"X": "1"}), ALB_MULTI)
    assert set(out) == {"statusCode", "statusDescription", "multiValueHeaders", "body", "isBase64Encoded"}
    assert out["multiValueHeaders"] == {"X": ["1"], "Set-Cookie": ["a=1", "b=2"]}


def test_alb_single_value_sends_every_cookie_under_a_distinct_spelling():
    cookies = [f"c{i}=v{i}; Path=/" for i in range(40)]
    out = to_source(Response(cookies=cookies, headers={"X": "1"}), ALB)
    assert set(out) == {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}
    names = [n for n in out["headers"] if n.lower() == "set-cookie"]
    assert len(names) == len(set(names)) == 40
    assert names[0] == "Set-Cookie"
    assert [out["headers"][n] for n in names] == cookies
    assert out["headers"]["X"] == "1"


def test_alb_single_value_cookie_limit():
    assert (
        len(
            [
                n
                for n in to_source(Response(cookies=["a=1"] * 512), ALB)["headers"]
                if n.lower() == "set-cookie"
            ]
        )
        == 512
    )
    with pytest.raises(ValueError, match="at most 512"):
        to_source(Response(cookies=["a=1"] * 513), ALB)


# --- direct invoke ----------------------------------------------------------------------------


def test_direct_document_shape():
    out = to_source(Response(201, {"id": 7}, headers={"X": "1"}, cookies=["a=1"]), DIRECT)
    assert out == {
        "statusCode": 201,
        "headers": {"X": "1", "Content-Type": "application/json"},
        "body": {"id": 7},
        "isBase64Encoded": False,
        "errors": [],
    }
    assert is_direct_document(out)


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (None, None),
        ("text", "text"),
        ({"a": (1, 2)}, {"a": [1, 2]}),
        ([{"x": None}], [{"x": None}]),
        (3.5, 3.5),
        (True, True),
    ],
)
def test_direct_body_is_a_json_value(body, value):
    out = to_source(Response(body=body), DIRECT)
    assert out["body"] == value and out["isBase64Encoded"] is False
    assert json.loads(json.dumps(out)) == out


def test_a_direct_answer_deeper_than_a_client_may_send_still_goes_out():
    """The document is pypwext's own output: not held to a client's 64-level depth limit (it
    answered 500 when its body was read back with the client's checks)."""
    deep: Any = "bottom"
    for _ in range(100):
        deep = [deep]
    out = to_source(Response(body={"deep": deep}), DIRECT)
    assert out["statusCode"] == 200 and out["body"] == {"deep": deep}


def test_a_lone_surrogate_in_a_direct_answer_is_written_as_the_replacement_character():
    out = to_source(Response(body={"name": "x\ud800"}), DIRECT)
    assert out["body"] == {"name": "x\ufffd"}
    json.dumps(out, ensure_ascii=False).encode("utf-8")  # what Python 3.12+ runtimes do


def test_direct_round_trip_with_errors():
    errors = [
        NotFound("no order 7", details={"order_id": 7}),
        BadRequest("bad quantity"),
        UnprocessableEntity("too late"),
        ServiceError("teapot", code=418),
        InternalError(),
    ]
    doc = json.loads(json.dumps(to_source(Response(207, {"done": 3}, errors=errors), DIRECT)))
    status, body, back = from_direct(doc)
    assert status == 207 and body == {"done": 3}
    assert [type(e) for e in back] == [NotFound, BadRequest, UnprocessableEntity, ServiceError, InternalError]
    assert [e.to_dict() for e in back] == [e.to_dict() for e in errors]
    assert back[0].details == {"order_id": 7} and back[3].code == 418


def test_direct_round_trip_of_bytes_and_text():
    payload = bytes(range(256))
    doc = to_source(Response(body=payload), DIRECT)
    assert doc["isBase64Encoded"] is True and base64.b64decode(doc["body"]) == payload
    assert doc["headers"] == {"Content-Type": "application/octet-stream"}
    assert from_direct(doc) == (200, payload, [])
    assert from_direct(to_source(Response(body="hi"), DIRECT)) == (200, "hi", [])
    assert from_direct(to_source(Response(204), DIRECT)) == (204, None, [])


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [],
        "x",
        {"statusCode": 200, "body": "", "headers": {}},  # a proxy-style answer of another function
        {"statusCode": 200, "body": "", "headers": {}, "cookies": [], "isBase64Encoded": False},
        {"statusCode": "200", "body": "", "headers": {}, "errors": []},
        {"statusCode": True, "body": "", "headers": {}, "errors": []},
        {"statusCode": 200, "body": "", "headers": [], "errors": []},
        {"statusCode": 200, "body": "", "headers": {}, "errors": {}},
        {"statusCode": 200, "body": "", "headers": {}, "errors": ["oops"]},
        {"statusCode": 200, "body": "", "headers": {}, "errors": [], "multiValueHeaders": {}},
    ],
)
def test_not_a_direct_document(obj):
    assert not is_direct_document(obj)
    with pytest.raises(ValueError):
        from_direct(obj)


def test_minimal_direct_document():
    assert is_direct_document({"statusCode": 200, "body": None, "errors": []})
    assert (
        from_direct({"statusCode": 404, "body": None, "errors": [{"code": 404, "msg": "gone"}]})[2][0].msg
        == "gone"
    )


# --- every output is what Lambda can serialise ------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Header names are HTTP tokens; values are any text without CR, LF or NUL (the adapters refuse
# those: see the header-injection tests)
names = st.text(st.sampled_from("!#$%&'*+-.^_`|~0123456789abcXYZ"), min_size=1, max_size=12)
values = st.text(st.characters(exclude_characters="\r\n\0"), max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(100, 599),
    json_values | st.binary(),
    st.dictionaries(names, values, max_size=4),
    st.dictionaries(names, st.lists(values, max_size=3), max_size=3),
    st.lists(values, max_size=5),
)
def test_every_adapter_output_serialises_and_round_trips(status, body, headers, multi, cookies):
    response = Response(status, body, headers=headers, cookies=cookies, multi_headers=multi)
    for request in ALL:
        out = to_source(response, request)
        assert json.loads(json.dumps(out)) == out
        assert out["statusCode"] == status
        if request.source is EventSource.DIRECT:
            assert from_direct(out)[:2] == (status, body)
            continue
        if isinstance(body, bytes):
            assert base64.b64decode(out["body"]) == body
        elif isinstance(body, str):
            assert out["body"] == body
        elif body is None:
            assert out["body"] == ""
        else:
            assert json.loads(out["body"]) == body
        given_cookies = cookies + [v for n, v in headers.items() if n.lower() == "set-cookie"]
        if request.source is EventSource.ALB and not request.multi_value:
            sent = [v for n, v in out["headers"].items() if n.lower() == "set-cookie"]
        elif "cookies" in out:
            sent = out["cookies"]
        else:
            sent = out["multiValueHeaders"].get("Set-Cookie", [])
        expected = given_cookies + [v for n, vs in multi.items() if n.lower() == "set-cookie" for v in vs]
        # an answer is valid UTF-8: a lone surrogate is written as U+FFFD (docs/responses.md)
        assert sorted(sent) == sorted(re.sub("[\ud800-\udfff]", "\ufffd", v) for v in expected)


# --- the adapters own the header rules ------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        Response(headers={"Location": "/a\r\nSet-Cookie: x=1"}),
        Response(headers={"X": "a\nb"}),
        Response(headers={"X": "a\0b"}),
        Response(multi_headers={"Link": ["</a>", "</b>\rX: y"]}),
        Response(cookies=["a=1\r\nSet-Cookie: x=1"]),
        Response(headers={"X-A\r\nX-B": "1"}),
        Response(headers={"X:Y": "1"}),
        Response(headers={"": "1"}),
    ],
    ids=["location", "lf", "nul", "multi", "cookie", "name-crlf", "name-colon", "name-empty"],
)
def test_a_header_that_would_inject_is_refused_by_every_adapter(response: Response) -> None:
    for request in ALL:
        with pytest.raises(ValueError, match="response header"):
            to_source(response, request)


def test_lone_surrogates_become_replacement_characters() -> None:
    response = Response(body={"k\udc80": "v\ud800"}, headers={"X": "\udfff"}, cookies=["c=\ud800"])
    for request in ALL:
        out = to_source(response, request)
        json.dumps(out, ensure_ascii=False).encode("utf-8")
        assert "\ufffd" in json.dumps(out, ensure_ascii=False)
