"""The example services behind one function: an :class:`~pypwext.runtime._routes.Api`.

``app.py`` and ``offers.py`` define their services without a ``route``; the Api gives them one
(a service class may also say ``route = "POST /orders"`` itself), and adds a read service,
``GetOrder``, whose path parameter fills its typed input. ``checkout.py`` (``POST /checkout``)
calls ``inventory.py`` (``GET /inventory/items/{item_id}``) over HTTP and ``billing.py``
(``charge-order``, no route) through the Invoke API; ``charge_order`` below makes the local
server host that function too (set ``INVENTORY_URL`` and ``AWS_ENDPOINT_URL_LAMBDA`` to the
server's URL: see ``checkout.py``).

Run it locally (``make example`` does)::

    pypwext serve examples/orders/api.py          # http://127.0.0.1:3000/docs

Lambda handler string (the file deployed as ``api.py``): ``api.handler``.
"""

from __future__ import annotations

import attrs

from pypwext import BaseService, NotFound
from pypwext.runtime._routes import Api

try:  # as a package (examples.orders.api) or as a file next to app.py (pypwext serve api.py)
    from .app import ORDERS, CreateOrder, Order, OrderItem
    from .billing import ChargeOrder
    from .checkout import PlaceOrder
    from .inventory import GetStock
    from .offers import SendOffers
except ImportError:
    from app import ORDERS, CreateOrder, Order, OrderItem  # type: ignore[no-redef]
    from billing import ChargeOrder  # type: ignore[no-redef]
    from checkout import PlaceOrder  # type: ignore[no-redef]
    from inventory import GetStock  # type: ignore[no-redef]
    from offers import SendOffers  # type: ignore[no-redef]


@attrs.frozen
class OrderRef:
    """Which order to read."""

    order_id: int = attrs.field(metadata={"examples": [1, 2]})
    """The order's id, from the path."""


ORDERS.update(
    {
        1: Order(1, "first order", [OrderItem(1, 2, "widget"), OrderItem(2, 1, "gadget")]),
        2: Order(2, "books", [OrderItem(7, 2, "SICP")]),
    }
)


class GetOrder(BaseService):
    """Read one order.

    Orders 1 and 2 exist, and those ``POST /orders`` created; any other id answers 404.
    """

    operation = "get-order"
    route = "GET /orders/{order_id}"
    just_status_code = False

    def execute(self, ref: OrderRef) -> Order:
        order = ORDERS.get(ref.order_id)
        if order is None:
            raise NotFound(f"no order {ref.order_id}")
        return order


api = Api(
    {"POST /orders": CreateOrder, "POST /offers": SendOffers},
    GetOrder,
    PlaceOrder,
    GetStock,
    title="pypwext example: orders",
    version="1.0.0",
)
handler = api.handler
"""The Lambda entry point: handler string ``api.handler``."""

charge_order = ChargeOrder.handler
"""The billing function, hosted beside the Api by ``pypwext serve`` (Invoke API name
``charge-order``); deployed, it is a function of its own (handler string ``billing.handler``)."""
