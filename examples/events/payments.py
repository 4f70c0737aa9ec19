"""SQS: charge each payment of a batch once; a declined card fails only its own message.

Event source mapping: ``FunctionResponseTypes: [ReportBatchItemFailures]``, a redrive policy
(DLQ) on the queue, and the queue's visibility timeout at least six times the function's timeout.
"""

from __future__ import annotations

import attrs

from pypwext import UnprocessableEntity
from pypwext.kinds._batch import SqsBatchService
from pypwext.runtime._idempotency import Idempotency


@attrs.frozen
class Payment:
    order_id: int
    amount_cents: int
    card: str


class ChargePayments(SqsBatchService):
    """One message, one charge; the idempotency key is the order, so a redelivered message (or
    a producer's duplicate) never charges twice."""

    parallel = 4
    idempotency = Idempotency(
        key="body.order_id", expires_after=24 * 3600, table="payments-idempotency-{STAGE}"
    )

    def validate(self, payment: Payment) -> Payment:
        if payment.amount_cents <= 0:
            raise UnprocessableEntity("an amount must be positive", details={"order_id": payment.order_id})
        return payment

    def process_record(self, payment: Payment) -> dict[str, int]:
        if payment.card.startswith("0000"):
            raise RuntimeError("card declined")  # reported: retried, then the DLQ
        return {"order_id": payment.order_id, "charged": payment.amount_cents}


class ChargePaymentsNoStore(ChargePayments):
    """The same service without a table, for tests and local runs."""

    idempotency = None


handler = ChargePayments.handler
