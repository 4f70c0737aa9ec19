"""Each HTTP source's module in the wire owns its whole round trip: the example event
pypwext.testing builds for the source parses with that module, the answer that module renders
reads back -- as the real front door reads it -- to the status, headers and body the service
gave."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any

import pytest

from pypwext import codec, testing
from pypwext.wire import _alb, _events, _http_api, _rest
from pypwext.wire._events import EventSource, parse_request
from pypwext.wire._responses import Response, to_source
from pypwext.wire._writing import HttpAnswer

# (name, factory, source, module, multi-value headers on)
SOURCES: list[tuple[str, Callable[..., dict[str, Any]], EventSource, ModuleType, bool]] = [
    ("rest", testing.api_gateway_event, EventSource.API_GATEWAY_REST, _rest, True),
    (
        "http-api",
        partial(testing.api_gateway_event, version="2.0"),
        EventSource.API_GATEWAY_HTTP,
        _http_api,
        False,
    ),
    ("function-url", testing.function_url_event, EventSource.FUNCTION_URL, _http_api, False),
    ("alb", testing.alb_event, EventSource.ALB, _alb, False),
    ("alb-multi", partial(testing.alb_event, multi_value=True), EventSource.ALB, _alb, True),
]
BODIES: list[tuple[Any, bytes, str | None]] = [
    ({"id": 7, "name": "Ada"}, b'{"id":7,"name":"Ada"}', "application/json"),
    ("plain text \u00e9", "plain text \u00e9".encode(), "text/plain; charset=utf-8"),
    (b"\x00\x01\xff", b"\x00\x01\xff", "application/octet-stream"),
    (None, b"", None),
]


def by_name(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Header lines by lower-case name; repeated lines joined with ", " (what they mean in HTTP),
    ``Set-Cookie`` kept apart (a cookie value may hold a comma)."""
    lines: dict[str, list[str]] = {}
    for name, value in headers:
        lines.setdefault(name.lower(), []).append(value)
    return {name: values if name == "set-cookie" else [", ".join(values)] for name, values in lines.items()}


@pytest.mark.parametrize(
    ("name", "factory", "source", "module", "multi_value"), SOURCES, ids=[s[0] for s in SOURCES]
)
def test_the_example_event_parses_with_the_module_that_renders_its_answer(
    name: str,
    factory: Callable[..., dict[str, Any]],
    source: EventSource,
    module: ModuleType,
    multi_value: bool,
) -> None:
    event = factory(
        "post",
        "/orders/7",
        body={"qty": 2},
        headers={"X-Tag": "blue"},
        query={"q": ["a b", "c"], "page": "2"},
        cookies={"session": "abc"},
    )
    parse = "parse_function_url" if source is EventSource.FUNCTION_URL else "parse"
    assert _events.source_function(source, parse).__module__ == module.__name__
    assert _events.source_function(source, "render").__module__ == module.__name__

    request = parse_request(event)
    assert request.source is source
    assert request.multi_value is multi_value
    assert (request.method, request.path) == ("POST", "/orders/7")
    assert request.headers["x-tag"] == "blue"
    assert request.content_type == "application/json"
    assert request.json() == {"qty": 2}
    assert request.cookies == {"session": "abc"}
    # an ALB target group without multi-value headers passes on the last value only
    assert request.multi_query["q"] == (["c"] if name == "alb" else ["a b", "c"])
    assert request.query["page"] == "2"


@pytest.mark.parametrize(("body", "sent", "content_type"), BODIES, ids=["json", "text", "bytes", "none"])
@pytest.mark.parametrize(
    ("name", "factory", "source", "module", "multi_value"), SOURCES, ids=[s[0] for s in SOURCES]
)
def test_the_read_back_of_the_rendered_answer_gives_the_original_status_headers_and_body(
    name: str,
    factory: Callable[..., dict[str, Any]],
    source: EventSource,
    module: ModuleType,
    multi_value: bool,
    body: Any,
    sent: bytes,
    content_type: str | None,
) -> None:
    request = parse_request(factory("GET", "/orders/7"))
    response = Response(
        201,
        body,
        headers={"Location": "/orders/7", "X-Request-Id": "r-1"},
        cookies=["session=abc; Path=/; HttpOnly", "theme=dark"],
        multi_headers={"Vary": ["Origin", "Accept"]},
    )

    answer = module.read_back(codec.loads(codec.dumps(to_source(response, request))), multi_value)

    assert isinstance(answer, HttpAnswer)
    assert answer.status == 201
    assert answer.body == sent
    headers = by_name(answer.headers)
    assert headers.pop("set-cookie") == ["session=abc; Path=/; HttpOnly", "theme=dark"]
    assert headers.pop("location") == ["/orders/7"]
    assert headers.pop("x-request-id") == ["r-1"]
    assert headers.pop("vary") == ["Origin, Accept"]
    if content_type is None and name == "rest":
        content_type = "application/json"  # what API Gateway's REST API says of an untyped answer
    assert headers == ({"content-type": [content_type]} if content_type else {})
    if name.startswith("alb"):
        assert answer.reason == "Created"
