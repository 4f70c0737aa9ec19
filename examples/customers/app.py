"""A service that handles personal data: what pypwext logs, traces and measures, and what it masks.

``POST /customers`` subscribes a customer to the newsletter. The customer's name and email are
classified PII on the model (attrs field metadata), so they never reach a log line in clear,
even though the service itself is not classified; the welcome-mail helper is a PII ``@step``;
a refused address is collected as a PII-classified error. The service writes an AUDIT entry per
invocation, takes its correlation id from the ``x-correlation-id`` header, and publishes
metrics in the ``Customers`` namespace.

Run it locally, with every entry on::

    LOG_LEVEL=DEBUG pypwext invoke examples/customers/app.py:handler --http POST /customers \\
        --body '{"id": 7, "name": "Ada Lovelace", "email": "ada@example.com"}'

Lambda handler string (the file deployed as ``app.py``): ``app.handler``.
"""

from __future__ import annotations

from http import HTTPStatus

import attrs

from pypwext import BadRequest, BaseService, ErrorWithReturn, InfoClassification, LogEntryType, step

PII = {"classification": InfoClassification.PII}


@attrs.frozen
class Customer:
    """The body of POST /customers."""

    id: int
    name: str = attrs.field(metadata=PII)
    email: str = attrs.field(metadata=PII)
    tier: str = "standard"


@attrs.frozen
class Subscription:
    """What POST /customers answers."""

    customer_id: int
    email: str = attrs.field(metadata=PII)
    plan: str
    welcome_sent: bool


BLOCKED_DOMAIN = "@blocked.example"


class Subscribe(BaseService):
    """Subscribe a customer to the newsletter and send a welcome mail."""

    operation = "subscribe"
    log_type = LogEntryType.AUDIT
    status = HTTPStatus.CREATED
    just_status_code = False
    code_from_error = False
    correlation_id_path = 'headers."x-correlation-id"'
    metrics_namespace = "Customers"

    def validate(self, customer: Customer) -> Customer:
        if "@" not in customer.email:
            raise BadRequest(
                "invalid customer",
                details={"problems": [{"path": "email", "reason": "not an email address"}]},
            )
        return customer

    def execute(self, customer: Customer) -> Subscription:
        sent = self.send_welcome(customer.email)
        self.metrics.add_metric(name="Subscriptions", unit="Count", value=1)
        self.logger.info(
            "subscribed", customer_id=customer.id, tier=customer.tier, classification=InfoClassification.NA
        )
        return Subscription(customer.id, customer.email, "newsletter", welcome_sent=sent)

    @step(operation="send-welcome", classification=InfoClassification.PII)
    def send_welcome(self, email: str) -> bool:
        if email.endswith(BLOCKED_DOMAIN):
            raise ErrorWithReturn(
                f"cannot send mail to {email}",
                code=HTTPStatus.UNPROCESSABLE_ENTITY,
                classification=InfoClassification.PII,
                details={"email": email},
                return_value=False,
            )
        return True


handler = Subscribe.handler
"""The Lambda entry point: handler string ``app.handler``."""
