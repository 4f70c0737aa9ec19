"""The billing service: ``ChargeOrder`` charges an order and answers a receipt.

It has no route: other services invoke it directly, as a Lambda function (the checkout service,
``checkout.py``, through a ``LambdaFunction`` dependency). A charge over the limit is declined
with a 402, which a calling pypwext service gets back as the same ``ServiceError``.

Run it locally (``make example`` hosts it beside the other example services)::

    pypwext invoke examples/orders/billing.py:handler --event - <<< '{"order_id": 7, "amount_cents": 2500}'
    pypwext serve examples/orders/billing.py   # Invoke API: POST /2015-03-31/functions/charge-order/invocations

Lambda handler string (the file deployed as ``billing.py``): ``billing.handler``.
"""

from __future__ import annotations

from http import HTTPStatus

import attrs

from pypwext import BadRequest, BaseService, ServiceError


@attrs.frozen
class Charge:
    """What to charge: an order's amount, in cents."""

    order_id: int
    amount_cents: int


@attrs.frozen
class Receipt:
    """What a successful charge answers."""

    receipt_id: str
    order_id: int
    amount_cents: int


LIMIT_CENTS = 100_000
"""Charges above 1000.00 are declined."""


class ChargeOrder(BaseService):
    """Charge an order; decline (402) a charge over :data:`LIMIT_CENTS`."""

    operation = "charge-order"
    just_status_code = False

    def validate(self, charge: Charge) -> Charge:
        if charge.amount_cents <= 0:
            raise BadRequest(
                "the amount to charge must be positive", details={"amount_cents": charge.amount_cents}
            )
        return charge

    def execute(self, charge: Charge) -> Receipt:
        if charge.amount_cents > LIMIT_CENTS:
            raise ServiceError(
                f"payment declined: {charge.amount_cents / 100:.2f} is over the limit of {LIMIT_CENTS / 100:.2f}",
                code=HTTPStatus.PAYMENT_REQUIRED,
                details={
                    "order_id": charge.order_id,
                    "amount_cents": charge.amount_cents,
                    "limit_cents": LIMIT_CENTS,
                },
            )
        return Receipt(f"rcpt-{charge.order_id}-{charge.amount_cents}", charge.order_id, charge.amount_cents)


handler = ChargeOrder.handler
"""The Lambda entry point: handler string ``billing.handler``."""
