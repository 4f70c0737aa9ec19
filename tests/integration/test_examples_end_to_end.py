"""The example services, all running for real: checkout calls billing through the Lambda Invoke
API and inventory over HTTP.

One ``pypwext serve examples/orders/api.py`` subprocess on a free port of 127.0.0.1 hosts the
three services; its environment points the checkout's ``Http`` (``INVENTORY_URL``) and its
``LambdaFunction`` (``AWS_ENDPOINT_URL_LAMBDA``, dummy credentials and region for boto3) at that
same server, as ``make example`` does. The tests talk to it over real HTTP and read what a user
sees: the status, the typed body, PyPwExt's error objects, and the server's access log, which
shows each service call arriving.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from examples.orders.billing import LIMIT_CENTS
from examples.orders.checkout import OrderPlaced, PricedLine
from pypwext import codec
from tests.integration.conftest import ServeProcess

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


Served = ServeProcess


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = ServeProcess(
        "examples/orders/api.py", REPO, tmp_path_factory.mktemp("examples") / "serve.log", reload=False
    )
    try:
        server.wait()
        yield server
    finally:
        server.stop()


def checkout(served: Served, body: Any) -> requests.Response:
    return requests.post(f"{served.url}/checkout", json=body, timeout=30)


def test_a_checkout_calls_inventory_over_http_and_billing_through_the_invoke_api(served: Served) -> None:
    cart = {
        "order_id": 7,
        "lines": [{"item_id": "widget", "quantity": 2}, {"item_id": "gadget", "quantity": 1}],
    }
    answer = checkout(served, cart)
    assert answer.status_code == 201, answer.text
    placed = codec.structure(answer.json(), OrderPlaced)
    assert placed == OrderPlaced(
        order_id=7,
        lines=[PricedLine("widget", "Widget", 2, 500), PricedLine("gadget", "Gadget", 1, 1999)],
        total_cents=2499,
        receipt_id="rcpt-7-2499",
    )
    logs = served.wait_for_log("POST /checkout 201")
    # each service call arrived at the same server, as its own request
    assert "GET /inventory/items/widget 200" in logs
    assert "GET /inventory/items/gadget 200" in logs
    assert "POST /2015-03-31/functions/charge-order/invocations 200" in logs


def test_unknown_items_and_short_stock_are_a_422_that_lists_every_line(served: Served) -> None:
    cart = {
        "order_id": 8,
        "lines": [
            {"item_id": "unicorn", "quantity": 1},
            {"item_id": "widget", "quantity": 1},
            {"item_id": "sicp", "quantity": 4},
        ],
    }
    charges = served.logs().count("functions/charge-order/invocations")
    answer = checkout(served, cart)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["error"]
    assert [(e["code"], e["msg"]) for e in errors] == [
        (422, "no item 'unicorn' in the inventory"),
        (422, "only 3 of 'sicp' in stock, 4 asked for"),
        (422, "order 8 cannot be placed: 2 of 3 lines failed"),
    ]
    logs = served.wait_for_log("POST /checkout 422")
    assert "GET /inventory/items/unicorn 404" in logs  # the inventory's own answer
    assert logs.count("functions/charge-order/invocations") == charges  # nothing was charged


def test_a_declined_charge_comes_back_as_billings_own_402(served: Served) -> None:
    cart = {"order_id": 9, "lines": [{"item_id": "telescope", "quantity": 2}]}  # 2 x 899.00
    answer = checkout(served, cart)
    assert answer.status_code == 402, answer.text
    assert answer.json() == {
        "error": {
            "code": 402,
            "msg": "payment declined: 1798.00 is over the limit of 1000.00",
            "classification": "NA",
            "details": {"order_id": 9, "amount_cents": 179800, "limit_cents": LIMIT_CENTS},
        }
    }
    logs = served.wait_for_log("POST /checkout 402")
    # billing answered its 402 inside a successful invoke: the Invoke API call itself is a 200
    assert "POST /2015-03-31/functions/charge-order/invocations 200" in logs


def test_the_services_are_reachable_on_their_own(served: Served) -> None:
    stock = requests.get(f"{served.url}/inventory/items/sicp", timeout=10)
    assert (stock.status_code, stock.json()["stock"]) == (200, 3)
    unknown = requests.get(f"{served.url}/inventory/items/unicorn", timeout=10)
    assert (unknown.status_code, unknown.json()["error"]["msg"]) == (404, "no item 'unicorn'")
    paths = requests.get(f"{served.url}/openapi.json", timeout=10).json()["paths"]
    assert {"/checkout", "/inventory/items/{item_id}"} <= set(paths)
