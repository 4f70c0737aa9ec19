"""The inventory service: ``GET /inventory/items/{item_id}`` answers an item's stock and price.

The checkout service (``checkout.py``) calls it over HTTP through an ``Http`` dependency. A few
items are known; any other id answers 404.

Run it locally (``make example`` serves it with the other example services)::

    pypwext serve examples/orders/inventory.py          # curl http://127.0.0.1:3000/inventory/items/widget

Lambda handler string (the file deployed as ``inventory.py``): ``inventory.handler``.
"""

from __future__ import annotations

import attrs

from pypwext import BaseService, NotFound


@attrs.frozen
class ItemRef:
    """Which item to read."""

    item_id: str = attrs.field(metadata={"examples": ["widget", "sicp"]})
    """The item's id, from the path."""


@attrs.frozen
class StockInfo:
    """What the inventory knows about one item."""

    item_id: str
    name: str
    stock: int
    """Units on the shelf."""
    price_cents: int
    """Price of one unit, in cents."""


ITEMS = {
    item.item_id: item
    for item in (
        StockInfo("widget", "Widget", stock=100, price_cents=250),
        StockInfo("gadget", "Gadget", stock=10, price_cents=1999),
        StockInfo("sicp", "Structure and Interpretation of Computer Programs", stock=3, price_cents=4500),
        StockInfo("telescope", "Telescope", stock=2, price_cents=89900),
    )
}


class GetStock(BaseService):
    """Read one item's stock and price: widget, gadget, sicp and telescope exist; any other id
    answers 404."""

    operation = "get-stock"
    route = "GET /inventory/items/{item_id}"
    just_status_code = False

    def execute(self, ref: ItemRef) -> StockInfo:
        item = ITEMS.get(ref.item_id)
        if item is None:
            raise NotFound(f"no item {ref.item_id!r}", details={"item_id": ref.item_id})
        return item


handler = GetStock.handler
"""The Lambda entry point: handler string ``inventory.handler``."""
