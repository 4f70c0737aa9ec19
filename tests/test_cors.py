"""CORS as a class option: preflight without running execute, headers on actual responses."""

from __future__ import annotations

import pytest

from pypwext import BaseService, Cors, Request
from pypwext.testing import api_gateway_event

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
