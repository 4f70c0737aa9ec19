"""CORS as a class option: preflight without running execute, headers on actual responses."""

from __future__ import annotations

from typing import Any

import pytest

from pypwext import BaseService, Cors, Request, Response
from pypwext.testing import api_gateway_event
from pypwext.wire._events import parse_request

calls: list[str] = []


class Shop(BaseService):
    cors = Cors(origins=["https://shop.example"], credentials=True, max_age=300, expose_headers=["X-Total"])

    def execute(self, request: Request) -> dict[str, bool]:
        calls.append(request.method)
        return {"ok": True}


def preflight(origin: str, method: str = "POST") -> dict[str, object]:
    return api_gateway_event(
        "OPTIONS", "/orders", headers={"Origin": origin, "Access-Control-Request-Method": method}
    )


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_preflight_is_answered_without_running_execute(version: str) -> None:
    calls.clear()
    event = api_gateway_event(
        "OPTIONS",
        "/orders",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
        version=version,
    )
    response = Shop.handler(event, None)
    assert calls == []
    assert response["statusCode"] == 204
    headers = response["headers"]
    assert headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Access-Control-Max-Age"] == "300"


def test_preflight_from_unknown_origin_or_method_is_refused() -> None:
    assert Shop.handler(preflight("https://evil.example"), None)["statusCode"] == 403
    assert Shop.handler(preflight("https://shop.example", "TRACE"), None)["statusCode"] == 403


def test_actual_response_carries_cors_headers_only_for_allowed_origins() -> None:
    allowed = Shop.handler(
        api_gateway_event("GET", "/orders", headers={"Origin": "https://shop.example"}), None
    )
    assert allowed["headers"]["Access-Control-Allow-Origin"] == "https://shop.example"
    assert allowed["headers"]["Vary"] == "Origin"
    assert allowed["headers"]["Access-Control-Expose-Headers"] == "X-Total"
    other = Shop.handler(
        api_gateway_event("GET", "/orders", headers={"Origin": "https://evil.example"}), None
    )
    assert "Access-Control-Allow-Origin" not in other["headers"]


def test_wildcard_and_bad_configurations() -> None:
    assert Cors().allow_origin("https://any.example") == "*"
    with pytest.raises(ValueError, match="explicit origins"):
        Cors(credentials=True)
    with pytest.raises(ValueError, match="max_age"):
        Cors(max_age=-1)


# --- the service's own headers are kept, and never written to ---------------------------------

CACHED = Response(200, {"items": []}, headers={"Vary": "Accept-Encoding", "Cache-Control": "max-age=60"})
SERVICE_HEADERS = {"vary": "accept-encoding, ORIGIN", "X-Own": "1"}


class Cached(BaseService):
    cors = Cors(origins=["https://shop.example"])

    def execute(self, request: Request) -> Response:
        kind = request.query.get("kind")
        if kind == "lower":
            return Response(200, "x", headers=SERVICE_HEADERS)
        if kind == "multi":
            return Response(200, "x", multi_headers={"Vary": ["Accept", "Accept-Encoding"]})
        if kind == "star":
            return Response(200, "x", headers={"Vary": "*"})
        if kind == "acao":
            return Response(200, "x", headers={"access-control-allow-origin": "*"})
        return CACHED


def get(kind: str | None = None, version: str = "1.0") -> dict[str, Any]:
    return api_gateway_event(
        "GET",
        "/items",
        headers={"Origin": "https://shop.example"},
        query={"kind": kind} if kind else None,
        version=version,
    )


def header(out: dict[str, Any], name: str) -> list[str]:
    found = [v for k, v in out["headers"].items() if k.lower() == name.lower()]
    found += [
        v for k, vs in out.get("multiValueHeaders", {}).items() if k.lower() == name.lower() for v in vs
    ]
    return found


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_cors_keeps_the_services_vary_and_never_writes_into_its_response(version: str) -> None:
    for _ in range(2):  # the second call sees the constant as the first left it
        out = Cached.handler(get(version=version), None)
        assert header(out, "Vary") == ["Accept-Encoding, Origin"]
        assert header(out, "Cache-Control") == ["max-age=60"]
        assert header(out, "Access-Control-Allow-Origin") == ["https://shop.example"]
    assert CACHED.headers == {"Vary": "Accept-Encoding", "Cache-Control": "max-age=60"}


def test_cors_adds_origin_to_vary_once_whatever_the_case() -> None:
    out = Cached.handler(get("lower"), None)
    assert header(out, "Vary") == ["accept-encoding, ORIGIN"]
    assert SERVICE_HEADERS == {"vary": "accept-encoding, ORIGIN", "X-Own": "1"}  # not written to
    assert header(Cached.handler(get("star"), None), "Vary") == ["*"]
    rest = Cached.handler(get("multi"), None)
    assert rest["multiValueHeaders"]["Vary"] == ["Accept", "Accept-Encoding", "Origin"]
    assert header(Cached.handler(get("multi", "2.0"), None), "Vary") == ["Accept, Accept-Encoding, Origin"]


def test_cors_replaces_an_allow_origin_the_service_set_in_another_case() -> None:
    out = Cached.handler(get("acao"), None)
    assert header(out, "Access-Control-Allow-Origin") == ["https://shop.example"]


def test_apply_returns_a_new_response() -> None:
    cors = Cors(origins=["https://shop.example"], credentials=True)
    request = parse_request(get())
    original = Response(200, headers={"Vary": "Accept"})
    applied = cors.apply(original, request)
    assert original.headers == {"Vary": "Accept"}
    assert applied.headers["Vary"] == "Accept, Origin"
    assert applied.headers["Access-Control-Allow-Credentials"] == "true"
    other = parse_request(api_gateway_event("GET", "/", headers={"Origin": "https://evil.example"}))
    assert cors.apply(original, other) is original
