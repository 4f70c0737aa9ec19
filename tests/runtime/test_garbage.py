"""A failing invocation leaves nothing for Python's cycle collector (issue 18).

An exception's traceback holds the frames it went through, and a frame that holds the exception
(``on_error(error)``'s ``raise error``, a structuring hook's list of failures) closes a reference
cycle: every failing call's frames, exceptions and locals then wait for the cycle collector,
which ran about 100 times per 1,000 failing calls and cost 10-25 µs a call -- the cheap path an
attacker sending bad requests would otherwise have. Once a failure is written, pypwext drops the
tracebacks, so what a failing call leaves is freed at once, as a valid call's is.

Each test runs one invocation with the collector told to keep what it finds
(``gc.DEBUG_SAVEALL``) and asserts it found nothing (or, for a batch, nothing of pypwext's).
"""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from pypwext import BadRequest, BaseService, EventService, NotFound, ServiceError, SqsBatchService
from pypwext.testing import eventbridge_event, lambda_context, sqs_event
from tests._support.aws_samples import sample


@attrs.frozen
class Line:
    id: int
    quantity: int


@attrs.frozen
class Order:
    id: int
    items: list[Line]


class Orders(BaseService):
    service = "garbage-orders"

    def validate(self, order: Order) -> Order:
        if not order.items:
            raise BadRequest("an order needs at least one item")
        return order

    def execute(self, order: Order) -> dict[str, int]:
        if order.id == 13:
            raise RuntimeError("an unexpected failure")
        return {"id": order.id}


class Rewrapping(Orders):
    def on_error(self, error: ServiceError) -> Any:
        raise BadRequest("rewritten") from error  # a new error, chained to the one it replaces


def rest(body: str) -> dict[str, Any]:
    event = copy.deepcopy(sample("apiGatewayProxyEvent.json"))
    event.update(httpMethod="POST", path="/orders", body=body, isBase64Encoded=False)
    event["headers"] = {"Content-Type": "application/json"}
    event["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    return event


BODIES = {
    "valid": ('{"id": 1, "items": [{"id": 1, "quantity": 2}]}', 200),
    "wrong types": (
        '{"id": "one", "items": [{"id": 1, "quantity": "two"}, {"id": "x", "quantity": 1}]}',
        400,
    ),
    "many bad items": (json.dumps({"id": 1, "items": [{"id": i, "quantity": "q"} for i in range(300)]}), 400),
    "missing field": ('{"id": 1}', 400),
    "unexpected field": ('{"id": 1, "items": [], "extra": true}', 400),
    "not an object": ("[1, 2]", 400),
    "malformed JSON": ('{"id": 1, "items": ', 400),
    "refused by validate": ('{"id": 1, "items": []}', 400),
    "unexpected exception": ('{"id": 13, "items": [{"id": 1, "quantity": 1}]}', 500),
}


@pytest.fixture
def collected() -> Iterator[Callable[[Callable[[], Any]], list[Any]]]:
    """``collected(call)``: what the cycle collector finds after ``call()`` (warmed up first)."""

    def run(call: Callable[[], Any]) -> list[Any]:
        call()  # (first calls build caches: not garbage)
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            call()
            gc.collect()
            return list(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    was_enabled = gc.isenabled()
    gc.disable()  # (collections only where the test asks for them)
    try:
        yield run
    finally:
        if was_enabled:
            gc.enable()


def described(garbage: list[Any]) -> list[str]:
    return sorted({type(o).__name__ for o in garbage})


@pytest.mark.parametrize("service", [Orders, Rewrapping], ids=["default on_error", "on_error raises anew"])
@pytest.mark.parametrize("body", BODIES)
def test_an_http_invocation_leaves_no_cyclic_garbage(
    body: str,
    service: type[BaseService],
    collected: Callable[[Callable[[], Any]], list[Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    text, status = BODIES[body]
    answers: list[int] = []
    garbage = collected(lambda: answers.append(service.handler(rest(text), lambda_context())["statusCode"]))
    assert answers[-1] == (status if service is Orders or status < 400 else 400)
    assert garbage == [], f"left for the cycle collector: {described(garbage)}"
    assert capsys.readouterr().out  # the failure was written before its traceback was dropped


@attrs.frozen
class Item:
    n: int


class Records(SqsBatchService):
    service = "garbage-records"

    def process_record(self, item: Item) -> None:
        if item.n % 2:
            raise ValueError("odd")


def test_failed_batch_records_leave_no_frame_or_traceback_behind(
    collected: Callable[[Callable[[], Any]], list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = [json.dumps({"n": i}) for i in range(6)] + ["not json", json.dumps({"n": "x"})]
    answers: list[Any] = []
    garbage = collected(lambda: answers.append(Records.handler(sqs_event(bodies), lambda_context())))
    assert len(answers[-1]["batchItemFailures"]) == 5
    # Powertools' BatchProcessor holds its own bound methods (one small cycle per batch, whatever
    # the records do); nothing of a failed record's frames or exceptions may be there.
    left = described(garbage)
    assert not {"frame", "traceback"} & set(left), left
    assert not [o for o in garbage if isinstance(o, BaseException)], left
    assert "record failed" in capsys.readouterr().out


class Events(EventService):
    service = "garbage-events"

    def execute(self, detail: Item) -> None:
        raise KeyError("boom")


def test_a_failed_event_leaves_no_cyclic_garbage(
    collected: Callable[[Callable[[], Any]], list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    def call() -> None:
        with pytest.raises(KeyError):  # (an event that fails fails its invocation: Lambda retries it)
            Events.handler(eventbridge_event({"n": 1}), lambda_context())

    garbage = collected(call)
    assert garbage == [], described(garbage)
    capsys.readouterr()


class BrokenRender(Orders):
    def render(self, result: Any) -> Any:
        if result == {"id": 2}:
            raise NotFound("gone")  # a ServiceError raised outside the lifecycle's recover
        raise KeyError("render broke")  # an unexpected one, answered 500


@pytest.mark.parametrize(("order_id", "status"), [(1, 500), (2, 404)])
def test_a_failing_render_leaves_no_cyclic_garbage(
    order_id: int,
    status: int,
    collected: Callable[[Callable[[], Any]], list[Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = json.dumps({"id": order_id, "items": [{"id": 1, "quantity": 1}]})
    answers: list[int] = []
    garbage = collected(
        lambda: answers.append(BrokenRender.handler(rest(body), lambda_context())["statusCode"])
    )
    assert answers[-1] == status
    assert garbage == [], described(garbage)
    capsys.readouterr()
