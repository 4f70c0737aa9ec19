"""The checkout service: ``POST /checkout`` prices a cart with the inventory service and charges
it with the billing service.

It shows a service calling two others:

* ``inventory``, an ``Http`` dependency: ``GET {INVENTORY_URL}/inventory/items/{item_id}``
  (``inventory.py``), one call per cart line, in parallel with ``fan_out``. A line that fails
  (an unknown item or too little stock: 422) does not stop the other look-ups: each failure is
  collected, and the answer lists them all, in cart order, with the highest code.
* ``billing``, a ``LambdaFunction`` dependency: the function ``charge-order`` (``billing.py``),
  invoked synchronously. Its typed answer is a ``Receipt``; a declined charge comes back as the
  billing service's own 402 ``ServiceError`` (same message and details), which the checkout
  answers with as it is.

Run it locally: ``pypwext serve`` hosts all three services, and two environment variables send
the dependencies to that same server (``make example`` does all of this)::

    export INVENTORY_URL=http://127.0.0.1:3000            # Http: the inventory's base URL
    export AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:3000  # LambdaFunction: the local Invoke API
    export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local  # boto3, offline
    pypwext serve examples/orders/api.py --port 3000
    curl -i -X POST http://127.0.0.1:3000/checkout -H "Content-Type: application/json" \\
        -d '{"order_id": 7, "lines": [{"item_id": "widget", "quantity": 2}, {"item_id": "gadget", "quantity": 1}]}'

Lambda handler string (the file deployed as ``checkout.py``): ``checkout.handler``; deployed,
``INVENTORY_URL`` is the inventory API's URL and the role may invoke ``charge-order``.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import attrs

from pypwext import (
    BadRequest,
    BaseService,
    DependencyError,
    ErrorAction,
    Http,
    LambdaFunction,
    ServiceError,
    UnprocessableEntity,
    fan_out,
)

try:  # as a package (examples.orders.checkout) or as a file next to inventory.py (pypwext serve)
    from .billing import Charge, Receipt
    from .inventory import StockInfo
except ImportError:
    from billing import Charge, Receipt  # type: ignore[no-redef]
    from inventory import StockInfo  # type: ignore[no-redef]


@attrs.frozen
class CartLine:
    """One line of the cart."""

    item_id: str
    quantity: int


@attrs.frozen
class Cart:
    """The body of POST /checkout."""

    order_id: int
    lines: list[CartLine]


@attrs.frozen
class PricedLine:
    """One line of a placed order, priced by the inventory."""

    item_id: str
    name: str
    quantity: int
    amount_cents: int


@attrs.frozen
class OrderPlaced:
    """What POST /checkout answers: the priced lines and the billing service's receipt."""

    order_id: int
    lines: list[PricedLine]
    total_cents: int
    receipt_id: str


MAX_LINES = 20
MAX_QUANTITY = 100
ITEM_ID = re.compile(r"[a-z0-9-]{1,40}\Z")


class PlaceOrder(BaseService):
    """Place an order: price every line with the inventory, then charge the total.

    Answers 201 with the priced order and its receipt; 400 for a malformed cart; 422 listing
    every line that cannot be ordered (an unknown item, too little stock); 402 when billing
    declines the charge; 502 or 504 when a dependency fails.
    """

    operation = "place-order"
    route = "POST /checkout"
    status = HTTPStatus.CREATED
    just_status_code = False

    inventory = Http(
        "{INVENTORY_URL}/inventory/items/{item_id}", response_type=StockInfo, timeout=(1.0, 5.0), retries=1
    )
    billing = LambdaFunction("charge-order", response_type=Receipt, timeout=10.0)

    def validate(self, cart: Cart) -> Cart:
        problems: list[tuple[str, str]] = []
        if not 1 <= len(cart.lines) <= MAX_LINES:
            problems.append(("lines", f"a cart holds 1 to {MAX_LINES} lines"))
        for index, line in enumerate(cart.lines):
            if not ITEM_ID.match(line.item_id):
                problems.append((f"lines[{index}].item_id", "must match [a-z0-9-]{1,40}"))
            if not 1 <= line.quantity <= MAX_QUANTITY:
                problems.append((f"lines[{index}].quantity", f"must be 1 to {MAX_QUANTITY}"))
        if problems:
            raise BadRequest.invalid("the cart cannot be checked out", *problems)
        return cart

    def price(self, line: CartLine) -> PricedLine:
        """Price one line with the inventory: a 422 for an unknown item or too little stock."""
        try:
            item = self.inventory.get(item_id=line.item_id)
        except DependencyError as err:
            if err.status != HTTPStatus.NOT_FOUND:
                raise  # the inventory failed (502, or 504 out of time): the error says how
            raise UnprocessableEntity(
                f"no item {line.item_id!r} in the inventory", details={"item_id": line.item_id}
            ) from None
        if item.stock < line.quantity:
            raise UnprocessableEntity(
                f"only {item.stock} of {line.item_id!r} in stock, {line.quantity} asked for",
                details={"item_id": line.item_id, "stock": item.stock, "quantity": line.quantity},
            )
        return PricedLine(item.item_id, item.name, line.quantity, line.quantity * item.price_cents)

    def execute(self, cart: Cart) -> OrderPlaced:
        # Every line is priced, in parallel; with CONTINUE a line that fails does not stop the
        # others: its error is collected (in cart order) and its result is None.
        priced = fan_out(self.price, cart.lines, on_error=ErrorAction.CONTINUE)
        lines = [line for line in priced if line is not None]
        if self.errors:
            raise ServiceError(
                f"order {cart.order_id} cannot be placed: {len(self.errors)} of {len(cart.lines)} lines failed",
                code=self.errors.highest_code(),
            )
        total = sum(line.amount_cents for line in lines)
        receipt = self.billing.invoke(Charge(cart.order_id, total))  # a decline raises billing's 402
        return OrderPlaced(cart.order_id, lines, total, receipt.receipt_id)


handler = PlaceOrder.handler
"""The Lambda entry point: handler string ``checkout.handler``."""
