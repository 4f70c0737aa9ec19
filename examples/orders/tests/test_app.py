"""Tests of the example services, written as a user of pypwext would write them."""

from __future__ import annotations

import pytest

from examples.orders.app import CreateOrder, Order, OrderCreated, handler
from examples.orders.offers import Customer, SendOffers
from pypwext import BadRequest, UnprocessableEntity
from pypwext.testing import api_gateway_event, invoke, lambda_context

ORDER = {"id": 1, "description": "books", "items": [{"id": 7, "quantity": 2, "description": "SICP"}]}


def test_execute_sums_quantities() -> None:
    from examples.orders.app import OrderItem

    svc = CreateOrder()
    assert svc.execute(Order(1, "x", [OrderItem(1, 2, "y"), OrderItem(2, 3, "z")])) == OrderCreated(1, 5)


def test_validate_refuses_empty_and_non_positive() -> None:
    from examples.orders.app import OrderItem

    with pytest.raises(BadRequest, match="at least one item"):
        CreateOrder().validate(Order(1, "x", []))
    with pytest.raises(BadRequest) as info:
        CreateOrder().validate(Order(1, "x", [OrderItem(1, 0, "y")]))
    assert info.value.details["problems"][0]["path"] == "items[0].quantity"


def test_too_many_items_is_422() -> None:
    from examples.orders.app import OrderItem

    with pytest.raises(UnprocessableEntity):
        CreateOrder().execute(Order(1, "x", [OrderItem(1, 1001, "y")]))


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_post_orders_answers_201(version: str) -> None:
    result = invoke(
        handler, api_gateway_event("POST", "/orders", body=ORDER, version=version), lambda_context()
    )
    assert result.status == 201
    assert result.json == {"id": 1, "total_quantity": 2}


def test_bad_order_names_every_field() -> None:
    bad = {"id": "one", "items": [{"id": 1, "quantity": "two"}]}
    result = invoke(CreateOrder, api_gateway_event("POST", "/orders", body=bad))
    assert result.status == 400
    paths = [p["path"] for p in result.errors[0]["details"]["problems"]]
    assert paths == ["id", "description", "items[0].quantity", "items[0].description"]


def test_send_offers_collects_unknown_customers() -> None:
    body = {
        "customers": [
            {"email": "nisse@manpower.com"},
            {"email": "mario.toffia@pypwext.se", "org_no": "1234567890"},
            {"email": "ivar@ikea.se", "org_no": "0987654321"},
        ]
    }
    result = invoke(SendOffers, api_gateway_event("POST", "/offers", body=body))
    assert result.status == 400
    assert result.json is not None
    assert result.json["updated"] == ["nisse@manpower.com"]
    assert result.json["operation"] == "create-offer"
    assert [e["msg"] for e in result.errors] == [
        "Failed to find record for customer: mario.toffia@pypwext.se",
        "Failed to find record for customer: ivar@ikea.se",
    ]
    assert result.errors[0]["details"] == {
        "operation": "send_offer",
        "customer": {"email": "mario.toffia@pypwext.se", "org_no": "1234567890"},
    }


def test_send_offer_step_returns_none_when_collected() -> None:
    svc = SendOffers()
    assert svc.send_offer(Customer("a@example.com")) == "a@example.com"
    assert svc.send_offer(Customer("a@unknown.org")) is None
    assert len(svc.errors) == 1
