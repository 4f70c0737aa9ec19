"""EventBridge: notify the warehouse when an order is placed; a failure is raised so Lambda
retries the event and then sends it to the function's DLQ / on-failure destination."""

from __future__ import annotations

import attrs

from pypwext.kinds._eventbridge import EventService


@attrs.frozen
class OrderPlaced:
    order_id: int
    items: list[str]


SHIPMENTS: list[int] = []  # stands for a real warehouse API


class ShipOrder(EventService):
    sources = ("shop.orders",)
    detail_types = ("Order Placed",)

    def execute(self, order: OrderPlaced) -> dict[str, int]:
        if not order.items:
            raise ValueError(f"order {order.order_id} has no items")
        SHIPMENTS.append(order.order_id)
        return {"shipped": order.order_id}


handler = ShipOrder.handler
