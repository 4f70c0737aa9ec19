"""The order service of pypwext's design: POST /orders with a typed body, answered 201.

Run it locally::

    pypwext invoke examples/orders/app.py:handler --http POST /orders \
        --body '{"id": 1, "description": "books", "items": [{"id": 7, "quantity": 2, "description": "SICP"}]}'

Lambda handler string (the file deployed as ``app.py``): ``app.handler``.
"""

from __future__ import annotations

from http import HTTPStatus

import attrs

from pypwext import BadRequest, BaseService, InfoClassification, UnprocessableEntity


@attrs.frozen
class OrderItem:
    """One line of an order."""

    id: int
    quantity: int
    description: str


@attrs.frozen
class Order:
    """The body of POST /orders."""

    id: int
    description: str
    items: list[OrderItem]


@attrs.frozen
class OrderCreated:
    """What POST /orders answers."""

    id: int
    total_quantity: int


MAX_QUANTITY = 1000

ORDERS: dict[int, Order] = {}
"""The orders created so far, by id: in memory, one store per process (an example's database;
``GET /orders/{order_id}`` in ``api.py`` reads it)."""


class CreateOrder(BaseService):
    """Create an order: the body arrives already structured as :class:`Order`."""

    operation = "create-order"
    classification = InfoClassification.CORPORATE_SENSITIVE_INFO
    status = HTTPStatus.CREATED
    just_status_code = False

    def validate(self, order: Order) -> Order:
        if not order.items:
            raise BadRequest("an order needs at least one item")
        for index, item in enumerate(order.items):
            if item.quantity <= 0:
                raise BadRequest(
                    "quantities must be positive",
                    details={"problems": [{"path": f"items[{index}].quantity", "reason": "must be > 0"}]},
                )
        return order

    def execute(self, order: Order) -> OrderCreated:
        total = sum(item.quantity for item in order.items)
        if total > MAX_QUANTITY:
            raise UnprocessableEntity(
                f"an order may hold at most {MAX_QUANTITY} items", details={"total": total}
            )
        ORDERS[order.id] = order
        return OrderCreated(order.id, total)


handler = CreateOrder.handler
"""The Lambda entry point: handler string ``app.handler`` (not ``app.CreateOrder.handler``)."""
