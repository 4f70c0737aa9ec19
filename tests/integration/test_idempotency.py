"""The idempotency option against moto's DynamoDB (a real server process on 127.0.0.1):
duplicates, concurrent duplicates from threads, a failed run, an expired record, a timed-out
attempt, and the same per record in a batch."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import boto3
import pytest
from fault_server import FaultServer, silent, slow_headers

from pypwext import BaseService
from pypwext.kinds._batch import SqsBatchService
from pypwext.runtime._idempotency import Idempotency
from pypwext.testing import api_gateway_event, invoke, lambda_context, sqs_event

pytestmark = pytest.mark.integration

TABLE = "idempotency"


@pytest.fixture
def table(aws_env):
    """The table Powertools expects: partition key ``id`` (a string), TTL on ``expiration``."""
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    return client


@attrs.frozen
class Charge:
    order_id: int
    amount: int


@attrs.frozen
class Charged:
    order_id: int
    charge_number: int


def charge_service(expires_after: int = 3600, pause: threading.Event | None = None):
    calls: list[int] = []
    lock = threading.Lock()

    class ChargeCard(BaseService):
        status = 201
        idempotency = Idempotency(key="body.order_id", expires_after=expires_after, table=TABLE)

        def execute(self, charge: Charge) -> Charged:
            with lock:
                calls.append(charge.order_id)
                number = len(calls)
            if pause is not None:
                pause.wait(10)
            if charge.amount < 0:
                raise ValueError("card declined")
            return Charged(charge.order_id, number)

    return ChargeCard, calls


def post(service: Any, body: Any, timeout_s: float = 30.0):
    return invoke(
        service, api_gateway_event("POST", "/charges", body=body), lambda_context(timeout_s=timeout_s)
    )


def test_a_repeated_request_gets_the_stored_response_without_running_execute(table):
    service, calls = charge_service()
    first = post(service, {"order_id": 7, "amount": 10})
    again = post(service, {"order_id": 7, "amount": 10})
    other = post(service, {"order_id": 8, "amount": 10})
    assert (first.status, first.json) == (201, {"order_id": 7, "charge_number": 1})
    assert (again.status, again.json) == (201, {"order_id": 7, "charge_number": 1})
    assert other.json == {"order_id": 8, "charge_number": 2}
    assert calls == [7, 8]
    items = table.scan(TableName=TABLE)["Items"]
    assert len(items) == 2 and {i["status"]["S"] for i in items} == {"COMPLETED"}
    assert all("ChargeCard" in i["id"]["S"] for i in items)


def test_a_failed_execution_stores_nothing_and_a_retry_runs(table):
    service, calls = charge_service()
    assert post(service, {"order_id": 9, "amount": -1}).status == 500
    assert table.scan(TableName=TABLE)["Items"] == []
    assert post(service, {"order_id": 9, "amount": 5}).json == {"order_id": 9, "charge_number": 2}
    assert calls == [9, 9]


def test_concurrent_duplicates_from_threads_get_409_while_the_first_runs(table):
    pause = threading.Event()
    service, calls = charge_service(pause=pause)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(post, service, {"order_id": 11, "amount": 1})
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        duplicates = [pool.submit(post, service, {"order_id": 11, "amount": 1}) for _ in range(5)]
        statuses = [d.result().status for d in duplicates]
        pause.set()
        assert first.result().status == 201
    assert statuses == [409] * 5
    assert calls == [11]
    assert post(service, {"order_id": 11, "amount": 1}).json == {"order_id": 11, "charge_number": 1}


def test_an_expired_record_runs_again(table):
    service, calls = charge_service(expires_after=1)
    assert post(service, {"order_id": 12, "amount": 1}).json["charge_number"] == 1
    assert post(service, {"order_id": 12, "amount": 1}).json["charge_number"] == 1
    time.sleep(2.1)  # expiry is stored in whole seconds
    assert post(service, {"order_id": 12, "amount": 1}).json["charge_number"] == 2
    assert calls == [12, 12]


class Killed(BaseException):
    """What Lambda does to a timed-out invocation: no except clause runs, nothing is cleaned up."""


def test_a_timed_out_attempt_blocks_retries_only_until_its_deadline(table):
    killed = [True]

    class Slow(BaseService):
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def execute(self, charge: Charge) -> dict[str, int]:
            if killed[0]:
                killed[0] = False
                raise Killed()
            return {"order_id": charge.order_id}

    started = time.monotonic()
    with pytest.raises(Killed):
        post(Slow, {"order_id": 13, "amount": 1}, timeout_s=3.0)
    assert post(Slow, {"order_id": 13, "amount": 1}).status == 409  # still within its deadline
    assert time.monotonic() - started < 3.0, "too slow to have tested the deadline"
    time.sleep(max(0.0, started + 3.2 - time.monotonic()))
    assert post(Slow, {"order_id": 13, "amount": 1}).json == {"order_id": 13}


def test_a_missing_key_is_refused_with_400(table):
    service, calls = charge_service()
    result = post(service, {"amount": 1})
    assert result.status == 400
    assert calls == []


def test_batch_records_are_idempotent_per_record_and_a_concurrent_duplicate_is_reported(table):
    processed: list[int] = []
    lock = threading.Lock()

    class Payments(SqsBatchService):
        parallel = 2
        idempotency = Idempotency(key="body.order_id", table=TABLE)

        def process_record(self, charge: Charge) -> None:
            with lock:
                processed.append(charge.order_id)
            time.sleep(0.5)

    # 21 and 21 at once: one runs, the other is in progress -> reported (retried later)
    event = sqs_event([{"order_id": 21, "amount": 1}, {"order_id": 21, "amount": 1}])
    answer = Payments.handler(event, lambda_context())
    assert len(answer["batchItemFailures"]) == 1
    assert processed == [21]

    # the retry of the reported message, and a new one: 21 is not processed again
    retry = sqs_event([{"order_id": 21, "amount": 1}, {"order_id": 22, "amount": 1}])
    assert Payments.handler(retry, lambda_context()) == {"batchItemFailures": []}
    assert processed == [21, 22]


@pytest.mark.parametrize("fault", [silent(), slow_headers(0.25)], ids=["silent", "trickling"])
def test_a_store_that_never_answers_ends_with_an_error_before_the_deadline_and_charges_nothing(
    aws_env, monkeypatch: pytest.MonkeyPatch, fault
) -> None:
    """The idempotency store's calls fit the time the invocation has left (the rule of
    LambdaFunction and Parameter): a DynamoDB that never answers costs an error answer before
    the Lambda's deadline -- without running execute, which it could not record -- never a
    Lambda timeout without an answer."""
    store = FaultServer().start()
    try:
        store.script("/", fault)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", store.base_url)
        service, calls = charge_service()
        started = time.monotonic()
        answer = post(service, {"order_id": 11, "amount": 10}, timeout_s=2.5)
        elapsed = time.monotonic() - started
        assert answer.status >= 500, answer.raw
        assert elapsed < 2.5  # the Lambda's deadline (boto3's own timeouts: a minute a try)
        shown = json.dumps(answer.raw)  # the store's address and botocore's words stay in the log
        for needle in (store.base_url.split("//", 1)[1], "Timeout", "botocore", "Traceback", "DynamoDB"):
            assert needle not in shown, (needle, shown)
        assert calls == []  # nothing charged without a record of it
        assert store.count("/") == 1
    finally:
        store.stop()
