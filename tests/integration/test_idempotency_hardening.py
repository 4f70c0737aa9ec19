"""Idempotency under attack, against moto's DynamoDB: a client (or a producer) that spells the
same order differently is charged once, whatever the kind of service; a replay answers what
the first run answered (status, body, headers); a failure is never stored, so it is never
replayed -- least of all as a success."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

import attrs
import boto3
import pytest

from pypwext import BaseService, ErrorAction, Response, ServiceError, step
from pypwext.kinds._batch import SqsBatchService
from pypwext.kinds._eventbridge import EventService
from pypwext.runtime._idempotency import Idempotency
from pypwext.testing import api_gateway_event, eventbridge_event, invoke, lambda_context, sqs_event

pytestmark = pytest.mark.integration

TABLE = None  # Idempotency(table=None): the IDEMPOTENCY_TABLE of the test, a fresh table


@pytest.fixture(scope="module")
def moto_dynamodb(moto_server: Any) -> Any:
    """The environment that points boto3 at moto's server, for the module: without the
    per-test reset (whose reload of IAM's managed policies costs seconds), each test gets a
    table of its own instead."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in moto_server.env().items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield boto3.client("dynamodb")


@pytest.fixture
def table(moto_dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    name = f"idempotency-{uuid.uuid4().hex[:12]}"
    moto_dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("IDEMPOTENCY_TABLE", name)
    return name


@attrs.frozen
class Order:
    order_id: int
    amount: int


class Card:
    """The side effect: a counter of charges per order (what must happen once)."""

    def __init__(self) -> None:
        self.charges: list[int] = []
        self.lock = threading.Lock()

    def charge(self, order: Order) -> int:
        with self.lock:
            self.charges.append(order.order_id)
            return len(self.charges)


# The same order, as clients and producers write it: each is the JSON text of a body
SPELLINGS = {
    "string": '{"order_id": "7", "amount": 10}',
    "float": '{"order_id": 7.0, "amount": 10}',
    "leading-zero": '{"order_id": "07", "amount": 10}',
    "padded": '{"order_id": " 7 ", "amount": "10"}',
    "key-order": '{"amount": 10, "order_id": 7}',
    "whitespace": '{\n  "order_id" :7 ,\t"amount":10\n}',
    "exponent": '{"order_id": 7e0, "amount": 1.0e1}',
}
FIRST = '{"order_id": 7, "amount": 10}'


def http_kind(card: Card) -> Any:
    class ChargeHttp(BaseService):
        status = 201
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def execute(self, order: Order) -> dict[str, int]:
            return {"charge": card.charge(order)}

    def send(text: str) -> Any:
        event = api_gateway_event("POST", "/charges", body=text, headers={"Content-Type": "application/json"})
        result = invoke(ChargeHttp, event, lambda_context())
        return result.status, result.json

    return send


def sqs_kind(card: Card) -> Any:
    class ChargeQueue(SqsBatchService):
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def process_record(self, order: Order) -> None:
            card.charge(order)

    def send(text: str) -> Any:
        return ChargeQueue.handler(sqs_event([text]), lambda_context())

    return send


def event_kind(card: Card) -> Any:
    class ChargeEvent(EventService):
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def execute(self, order: Order) -> dict[str, int]:
            return {"charge": card.charge(order)}

    def send(text: str) -> Any:
        import json

        return ChargeEvent.handler(eventbridge_event(json.loads(text)), lambda_context())

    return send


KINDS = {"http": http_kind, "sqs": sqs_kind, "eventbridge": event_kind}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_order_spelled_differently_is_charged_once(table, kind: str, spelling: str) -> None:
    card = Card()
    send = KINDS[kind](card)
    first = send(FIRST)
    again = send(SPELLINGS[spelling])
    assert card.charges == [7], f"charged {len(card.charges)} times"
    assert again == first


def test_every_spelling_in_a_row_charges_once(table) -> None:
    card = Card()
    send = http_kind(card)
    answers = [send(text) for text in [FIRST, *SPELLINGS.values()]]
    assert card.charges == [7]
    assert answers == [(201, {"charge": 1})] * len(answers)


# --- what a replay answers ---------------------------------------------------------------------


def post(service: Any, body: Any) -> Any:
    return invoke(service, api_gateway_event("POST", "/orders", body=body), lambda_context())


def test_a_stored_response_is_replayed_as_it_was_status_body_headers_cookies(table) -> None:
    calls: list[int] = []

    class Receipt(BaseService):
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def execute(self, order: Order) -> Response:
            calls.append(order.order_id)
            return Response(
                202,
                b"\x00\x01receipt",
                headers={"Location": f"/orders/{order.order_id}", "Content-Type": "application/pdf"},
                cookies=["seen=1; Path=/; HttpOnly"],
                multi_headers={"Vary": ["Origin", "Accept"]},
            )

    first = post(Receipt, {"order_id": 1, "amount": 1})
    again = post(Receipt, {"order_id": "1", "amount": 1})
    assert calls == [1]
    assert (again.status, again.is_base64, again.content) == (202, True, b"\x00\x01receipt")
    assert (again.status, again.body, again.is_base64, again.cookies) == (
        first.status,
        first.body,
        first.is_base64,
        first.cookies,
    )
    for name in ("Location", "Content-Type", "Vary"):
        assert again.headers.get(name) == first.headers.get(name), name


@pytest.mark.parametrize(
    "value",
    [Decimal("12.50"), uuid.UUID(int=7), "plain text", b"\xffbytes", {"n": 1}, [1, "a"], 3, None],
    ids=["decimal", "uuid", "text", "bytes", "object", "list", "number", "none"],
)
def test_a_stored_result_renders_as_the_service_without_idempotency_answers(table, value: Any) -> None:
    calls: list[int] = []

    class Plain(BaseService):
        def execute(self, order: Order) -> Any:
            calls.append(order.order_id)
            return value

    class Quote(Plain):
        idempotency = Idempotency(key="body.order_id", table=TABLE)

    def seen(result: Any) -> Any:
        return (result.status, result.headers.get("Content-Type"), result.body, result.is_base64)

    truth = seen(post(Plain, {"order_id": 2, "amount": 1}))
    first = seen(post(Quote, {"order_id": 2, "amount": 1}))
    again = seen(post(Quote, {"order_id": 2, "amount": 1}))
    assert calls == [2, 2]
    assert first == truth, "the first answer of an idempotent service differs"
    assert again == truth, "the replay differs"


@pytest.mark.parametrize("status", [400, 409, 422, 500, 503])
def test_a_failure_response_is_not_stored_so_a_retry_runs_again(table, status: int) -> None:
    calls: list[int] = []

    class Declines(BaseService):
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def execute(self, order: Order) -> Response:
            calls.append(order.order_id)
            if len(calls) == 1:
                return Response(status, {"declined": True})
            return Response(201, {"charged": True})

    assert post(Declines, {"order_id": 3, "amount": 1}).status == status
    retry = post(Declines, {"order_id": 3, "amount": 1})
    assert (retry.status, retry.json) == (201, {"charged": True})
    assert calls == [3, 3]
    assert post(Declines, {"order_id": 3, "amount": 1}).json == {"charged": True}
    assert calls == [3, 3], "the success is stored and replayed"


def test_an_answer_with_collected_errors_is_never_replayed_as_a_success(table) -> None:
    calls: list[int] = []

    @step
    def notify(order_id: int) -> None:
        raise ServiceError("the ledger is down", code=502, action=ErrorAction.CONTINUE)

    class Partial(BaseService):
        status = 201
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def execute(self, order: Order) -> dict[str, int]:
            calls.append(order.order_id)
            if len(calls) == 1:
                notify(order.order_id)
            return {"order_id": order.order_id}

    first = post(Partial, {"order_id": 4, "amount": 1})
    assert first.status == 502
    again = post(Partial, {"order_id": 4, "amount": 1})
    assert calls == [4, 4], "the failed answer was replayed instead of running again"
    assert (again.status, again.json) == (201, {"order_id": 4})


def test_an_exception_is_not_stored_for_an_event_service_either(table) -> None:
    calls: list[int] = []

    class Flaky(EventService):
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def execute(self, order: Order) -> int:
            calls.append(order.order_id)
            if len(calls) == 1:
                raise ConnectionError("card network down")
            return order.order_id

    with pytest.raises(ConnectionError):
        Flaky.handler(eventbridge_event({"order_id": 5, "amount": 1}), lambda_context())
    assert Flaky.handler(eventbridge_event({"order_id": "5", "amount": 1}), lambda_context()) == 5
    assert calls == [5, 5]
