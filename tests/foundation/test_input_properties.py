"""Property-based: whatever a client sends, a typed service answers 2xx or 4xx, never 5xx,
and never a traceback in the body."""

from __future__ import annotations

import base64
import json
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypwext import BaseService, strict
from pypwext.testing import api_gateway_event, invoke


@attrs.frozen
class Line:
    sku: str
    quantity: int
    price: float | None = None


@strict
@attrs.frozen
class Basket:
    id: int
    lines: list[Line]
    tags: dict[str, str] = attrs.Factory(dict)
    gift: bool = False


class Checkout(BaseService):
    just_status_code = False

    def execute(self, basket: Basket) -> dict[str, int]:
        return {"id": basket.id, "units": sum(line.quantity for line in basket.lines)}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
basket_like = st.fixed_dictionaries(
    {
        "id": json_values,
        "lines": st.lists(
            st.dictionaries(st.sampled_from(["sku", "quantity", "price", "x"]), json_values), max_size=3
        ),
    },
    optional={"tags": json_values, "gift": json_values, "extra": json_values},
)


def check(result: Any) -> None:
    assert 200 <= result.status < 500, result.raw
    assert "Traceback" not in result.body
    if result.status >= 400:
        error = result.errors[0]
        assert error["code"] == result.status
        for problem in error["details"].get("problems", []):
            assert set(problem) == {"path", "reason"}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values | basket_like, version=st.sampled_from(["1.0", "2.0"]))
def test_arbitrary_json_never_fails_the_server(body: Any, version: str) -> None:
    event = api_gateway_event("POST", "/checkout", body=json.dumps(body), version=version)
    check(invoke(Checkout, event))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200), content_type=st.sampled_from([None, "application/json", "text/plain"]))
def test_arbitrary_bytes_never_fail_the_server(raw: bytes, content_type: str | None) -> None:
    event = api_gateway_event(
        "POST", "/checkout", headers={"Content-Type": content_type} if content_type else None
    )
    event["body"] = base64.b64encode(raw).decode()
    event["isBase64Encoded"] = True
    check(invoke(Checkout, event))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(event=json_values)
def test_arbitrary_direct_events_never_fail_the_server(event: Any) -> None:
    check(invoke(Checkout, event))
