"""PyPwExt's send-offer scenario as a pypwext service.

Offers go to several customers; a customer that cannot be found is not a reason to stop the
others: the failure is collected (``ErrorWithReturn``, i.e. ``ErrorAction.CONTINUE``), the
offer returns ``None`` and the response lists the customers that got their offer beside the
collected errors. With ``code_from_error`` (the default) the status is the highest collected
code.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from pypwext import BaseService, ErrorWithReturn, InfoClassification, step


@attrs.frozen
class Customer:
    """A customer to send an offer to."""

    email: str
    org_no: str | None = None


@attrs.frozen
class OfferRequest:
    """The body: the customers to send the offer to."""

    customers: list[Customer]


@attrs.frozen
class OffersSent:
    """What the service answers."""

    updated: list[str]
    operation: str = "create-offer"


class SendOffers(BaseService):
    """Send an offer to each customer; collect the ones that fail."""

    operation = "create-offer"
    classification = InfoClassification.PII
    just_status_code = False

    KNOWN_DOMAINS: ClassVar[frozenset[str]] = frozenset({"manpower.com", "example.com"})

    @step(operation="send-offer")
    def send_offer(self, customer: Customer) -> str | None:
        domain = customer.email.rpartition("@")[2]
        if domain not in self.KNOWN_DOMAINS:
            raise ErrorWithReturn(
                f"Failed to find record for customer: {customer.email}",
                code=400,
                details={"operation": "send_offer", "customer": customer},
                return_value=None,
            )
        return customer.email

    def execute(self, request: OfferRequest) -> OffersSent:
        sent = [self.send_offer(c) for c in request.customers]
        return OffersSent(updated=[email for email in sent if email is not None])


handler = SendOffers.handler
