"""Every real HTTP event sample, answered by a real service through its handler, and the answer
checked key by key against the contract of its source."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from test_http_sources import expected_source, is_http_sample, parseable

from pypwext import BaseService, NotFound, Request, Response
from pypwext.testing import lambda_context
from pypwext.wire._events import EventSource

KEYS = {
    EventSource.API_GATEWAY_REST: {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"},
    EventSource.API_GATEWAY_HTTP: {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    EventSource.FUNCTION_URL: {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
}


class Echo(BaseService):
    """Answers with what it understood of the request, and sets two cookies."""

    def execute(self, request: Request) -> Response:
        return Response(
            200,
            body={"method": request.method, "path": request.path, "query": request.query},
            cookies=["a=1; Path=/", "b=2; HttpOnly"],
        )


class Missing(BaseService):
    just_status_code = False

    def execute(self, request: Request) -> None:
        raise NotFound("nothing here", details={"path": request.path})


def contract_keys(source: EventSource, event: dict[str, Any]) -> set[str]:
    if source is EventSource.ALB:
        headers_key = "multiValueHeaders" if "multiValueHeaders" in event else "headers"
        return {"statusCode", "statusDescription", headers_key, "body", "isBase64Encoded"}
    return KEYS[source]


def all_cookies(source: EventSource, out: dict[str, Any]) -> list[str]:
    if source in (EventSource.API_GATEWAY_HTTP, EventSource.FUNCTION_URL):
        return list(out["cookies"])
    if "multiValueHeaders" in out:
        return list(out["multiValueHeaders"].get("Set-Cookie", []))
    return [v for k, v in out["headers"].items() if k.lower() == "set-cookie"]


def check_strings(out: dict[str, Any]) -> None:
    for key in ("headers", "multiValueHeaders"):
        for name, value in out.get(key, {}).items():
            assert isinstance(name, str)
            values = value if key == "multiValueHeaders" else [value]
            assert all(isinstance(v, str) for v in values), (key, name, value)


@pytest.mark.aws_samples(select=is_http_sample)
def test_sample_is_answered_by_a_service(aws_event, sample_name: str) -> None:
    event, _ = parseable(aws_event(sample_name))
    source = expected_source(sample_name)
    assert source is not None
    out = Echo.handler(event, lambda_context())
    json.dumps(out)
    assert set(out) == contract_keys(source, event)
    assert out["statusCode"] == 200 and out["isBase64Encoded"] is False
    check_strings(out)
    body = json.loads(out["body"])
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    assert body["method"] == method.upper()
    assert sorted(all_cookies(source, out)) == ["a=1; Path=/", "b=2; HttpOnly"]
    if source is EventSource.ALB:
        assert out["statusDescription"] == "200 OK"


@pytest.mark.aws_samples(select=is_http_sample)
def test_sample_error_is_answered_in_the_format_of_its_source(aws_event, sample_name: str) -> None:
    event, _ = parseable(aws_event(sample_name))
    source = expected_source(sample_name)
    assert source is not None
    out = Missing.handler(event, lambda_context())
    assert set(out) == contract_keys(source, event)
    assert out["statusCode"] == 404
    check_strings(out)
    error = json.loads(out["body"])["error"]
    assert error["code"] == 404 and error["msg"] == "nothing here"


@pytest.mark.aws_samples(select=is_http_sample)
def test_sample_with_binary_answer(aws_event, sample_name: str) -> None:
    class Png(BaseService):
        def execute(self, request: Request) -> bytes:
            return b"\x89PNG\r\n\x1a\n"

    event, _ = parseable(aws_event(sample_name))
    out = Png.handler(event, None)
    assert out["isBase64Encoded"] is True
    assert base64.b64decode(out["body"]) == b"\x89PNG\r\n\x1a\n"
