"""The order service three ways, for benchmarks/pydantic_bench.py (never imported by pypwext).

Each ``stack_*`` function defines its service when called (so that a cold-start child pays for
exactly one stack's imports) and returns its Lambda handler. The three answer ``POST /orders``
with the same body (``benchmarks/events.py``'s GOOD_ORDER) 201 ``{"id", "total_quantity"}``
and refuse a non-positive quantity or an empty item list with a 4xx.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def stack_pypwext_attrs() -> Handler:
    """pypwext on attrs classes: the example service of examples/orders."""
    from examples.orders.app import handler

    return handler


def stack_pypwext_pydantic() -> Handler:
    """pypwext on pydantic models: the same service, its checks as model constraints."""
    from http import HTTPStatus
    from typing import Annotated

    from pydantic import BaseModel, Field

    from pypwext import BaseService, InfoClassification, UnprocessableEntity

    class OrderItem(BaseModel):
        id: int
        quantity: Annotated[int, Field(gt=0)]
        description: str

    class Order(BaseModel):
        id: int
        description: str
        items: Annotated[list[OrderItem], Field(min_length=1)]

    class OrderCreated(BaseModel):
        id: int
        total_quantity: int

    class CreateOrder(BaseService):
        operation = "create-order"
        classification = InfoClassification.CORPORATE_SENSITIVE_INFO
        status = HTTPStatus.CREATED
        just_status_code = False

        def execute(self, order: Order) -> OrderCreated:
            total = sum(item.quantity for item in order.items)
            if total > 1000:
                raise UnprocessableEntity("an order may hold at most 1000 items", details={"total": total})
            return OrderCreated(id=order.id, total_quantity=total)

    return CreateOrder.handler


def stack_powertools_validation() -> Handler:
    """Powertools' APIGatewayRestResolver(enable_validation=True) on the same pydantic models
    (benchmarks/stacks/pt_pydantic.py, the stack of the main benchmark)."""
    from stacks.pt_pydantic import handler

    return handler


STACKS: dict[str, tuple[str, Callable[[], Handler]]] = {
    "pypwext-attrs": ("pypwext, attrs input and result (examples/orders)", stack_pypwext_attrs),
    "pypwext-pydantic": ("pypwext, pydantic input and result", stack_pypwext_pydantic),
    "powertools-validation": (
        "Powertools APIGatewayRestResolver(enable_validation=True)",
        stack_powertools_validation,
    ),
}
