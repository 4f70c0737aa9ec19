"""Tests of the checkout service and the two services it calls, with fakes for its dependencies.

``tests/integration/test_examples_end_to_end.py`` runs the same three services for real, behind
``pypwext serve``.
"""

from __future__ import annotations

from typing import Any

import pytest

from examples.orders.billing import LIMIT_CENTS, ChargeOrder, Receipt
from examples.orders.checkout import PlaceOrder
from examples.orders.inventory import ITEMS, StockInfo
from pypwext import ServiceError
from pypwext.testing import FakeHttp, FakeLambdaFunction, api_gateway_event, invoke

CART = {"order_id": 7, "lines": [{"item_id": "widget", "quantity": 2}, {"item_id": "gadget", "quantity": 1}]}


def inventory(**stock: dict[str, Any]) -> FakeHttp:
    """An inventory that knows ``stock`` (item id -> its JSON) and answers 404 for the rest."""
    fake = FakeHttp("inventory", response_type=StockInfo)
    for item_id, info in stock.items():
        fake.answer(info, when={"item_id": item_id})
    return fake.fail(status=404, body='{"error": {"code": 404, "msg": "no such item"}}')


WIDGET = {"item_id": "widget", "name": "Widget", "stock": 100, "price_cents": 250}
GADGET = {"item_id": "gadget", "name": "Gadget", "stock": 10, "price_cents": 1999}


def checkout(svc: PlaceOrder, body: Any) -> Any:
    return invoke(svc, api_gateway_event("POST", "/checkout", body=body))


def test_a_cart_is_priced_by_the_inventory_and_charged_by_billing() -> None:
    stock = inventory(widget=WIDGET, gadget=GADGET)
    billing = FakeLambdaFunction("billing", response_type=Receipt).answer(
        {"receipt_id": "r-1", "order_id": 7, "amount_cents": 2499}
    )
    result = checkout(PlaceOrder(inventory=stock, billing=billing), CART)
    assert result.status == 201
    assert result.json == {
        "order_id": 7,
        "lines": [
            {"item_id": "widget", "name": "Widget", "quantity": 2, "amount_cents": 500},
            {"item_id": "gadget", "name": "Gadget", "quantity": 1, "amount_cents": 1999},
        ],
        "total_cents": 2499,
        "receipt_id": "r-1",
    }
    assert sorted(c.params["item_id"] for c in stock.calls) == ["gadget", "widget"]
    assert [(c.kind, c.json) for c in billing.calls] == [
        ("RequestResponse", {"order_id": 7, "amount_cents": 2499})
    ]


def test_every_line_that_cannot_be_ordered_is_listed_and_nothing_is_charged() -> None:
    low = {**GADGET, "stock": 1}
    billing = FakeLambdaFunction("billing")
    body = {
        "order_id": 8,
        "lines": [
            {"item_id": "nope", "quantity": 1},
            {"item_id": "widget", "quantity": 1},
            {"item_id": "gadget", "quantity": 3},
        ],
    }
    result = checkout(PlaceOrder(inventory=inventory(widget=WIDGET, gadget=low), billing=billing), body)
    assert result.status == 422
    assert [(e["code"], e["msg"]) for e in result.errors] == [
        (422, "no item 'nope' in the inventory"),
        (422, "only 1 of 'gadget' in stock, 3 asked for"),
        (422, "order 8 cannot be placed: 2 of 3 lines failed"),
    ]
    assert result.errors[1]["details"] == {"item_id": "gadget", "stock": 1, "quantity": 3}
    assert billing.calls == []


def test_an_inventory_outage_is_a_502_and_nothing_is_charged() -> None:
    billing = FakeLambdaFunction("billing")
    down = FakeHttp("inventory", response_type=StockInfo).fail(status=503)
    result = checkout(PlaceOrder(inventory=down, billing=billing), CART)
    assert result.status == 502
    assert result.errors[-1]["msg"] == "order 7 cannot be placed: 2 of 2 lines failed"
    assert billing.calls == []


def test_a_declined_charge_is_answered_with_billings_own_error() -> None:
    declined = ServiceError(
        "payment declined: 2499.00 is over the limit of 1000.00",
        code=402,
        details={"order_id": 7, "amount_cents": 2499, "limit_cents": LIMIT_CENTS},
    )
    billing = FakeLambdaFunction("billing", response_type=Receipt).fail(declined)
    result = checkout(PlaceOrder(inventory=inventory(widget=WIDGET, gadget=GADGET), billing=billing), CART)
    assert result.status == 402
    assert result.errors == [declined.to_dict()]


def test_a_malformed_cart_is_a_400_that_names_every_problem() -> None:
    body = {
        "order_id": 1,
        "lines": [{"item_id": "Bad Id", "quantity": 0}, {"item_id": "widget", "quantity": 1}],
    }
    stock = inventory(widget=WIDGET)
    result = checkout(PlaceOrder(inventory=stock, billing=FakeLambdaFunction()), body)
    assert result.status == 400
    assert [p["path"] for p in result.errors[0]["details"]["problems"]] == [
        "lines[0].item_id",
        "lines[0].quantity",
    ]
    assert stock.calls == []
    empty = checkout(PlaceOrder(inventory=stock, billing=FakeLambdaFunction()), {"order_id": 1, "lines": []})
    assert empty.status == 400


# --- the two services the checkout calls ---------------------------------------------------------


def test_billing_answers_a_receipt_or_declines_with_402() -> None:
    paid = invoke(ChargeOrder, {"order_id": 7, "amount_cents": 2499})
    assert (paid.status, paid.json) == (
        200,
        {"receipt_id": "rcpt-7-2499", "order_id": 7, "amount_cents": 2499},
    )
    declined = invoke(ChargeOrder, {"order_id": 7, "amount_cents": LIMIT_CENTS + 1})
    assert declined.status == 402
    assert declined.errors[0]["details"] == {
        "order_id": 7,
        "amount_cents": LIMIT_CENTS + 1,
        "limit_cents": LIMIT_CENTS,
    }
    assert invoke(ChargeOrder, {"order_id": 7, "amount_cents": 0}).status == 400


@pytest.mark.parametrize(("item_id", "status"), [("widget", 200), ("sicp", 200), ("nope", 404)])
def test_inventory_answers_known_items_and_404(item_id: str, status: int) -> None:
    from examples.orders.api import handler

    result = invoke(handler, api_gateway_event("GET", f"/inventory/items/{item_id}"))
    assert result.status == status
    if status == 200:
        assert result.json == {
            "item_id": item_id,
            "name": ITEMS[item_id].name,
            "stock": ITEMS[item_id].stock,
            "price_cents": ITEMS[item_id].price_cents,
        }
    else:
        assert result.errors[0]["msg"] == "no item 'nope'"
