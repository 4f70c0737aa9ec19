"""Batch services on the real SQS, Kinesis and DynamoDB stream samples, with failures injected:
exactly the failed records are reported, nothing reported succeeded, nothing succeeded twice."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import attrs
import pytest

from pypwext import BadRequest, ServiceError
from pypwext.errors import current_collector
from pypwext.kinds._batch import (
    DynamoDBChange,
    DynamoDBStreamBatchService,
    KinesisBatchService,
    SqsBatchService,
)
from pypwext.observability._context import current_invocation
from pypwext.testing import dynamodb_stream_event, kinesis_event, lambda_context, sqs_event
from tests._support.aws_samples import sample
from tests._support.logs import json_lines


class Ledger:
    """What a test service did: every record id that succeeded, in order, with repeats."""

    def __init__(self) -> None:
        self.succeeded: list[str] = []
        self.attempted: list[str] = []
        self.lock = threading.Lock()

    def check(self, answer: dict[str, Any], all_ids: list[str], expected_failed: list[str]) -> None:
        reported = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
        assert reported == expected_failed
        assert not set(reported) & set(self.succeeded), "a reported record had succeeded"
        assert len(self.succeeded) == len(set(self.succeeded)), "a record succeeded twice"
        assert set(self.succeeded) | set(reported) == set(all_ids), "a record was neither"


def sqs_ids(event: dict[str, Any]) -> list[str]:
    return [r["messageId"] for r in event["Records"]]


def stream_ids(event: dict[str, Any], part: str, field: str) -> list[str]:
    return [r[part][field] for r in event["Records"]]


# --- SQS ----------------------------------------------------------------------------------------


def test_sqs_sample_text_bodies_with_a_failure_injected(capsys):
    event = sample("sqsEvent.json")
    ids = sqs_ids(event)
    ledger = Ledger()

    class Texts(SqsBatchService):
        def process_record(self, text: str) -> None:
            ledger.attempted.append(self.record["messageId"])
            if text == "Test message.":
                raise ValueError("injected")
            ledger.succeeded.append(self.record["messageId"])

    answer = Texts.handler(event, lambda_context())
    ledger.check(answer, ids, [ids[0]])
    assert ledger.succeeded == [ids[1]]
    lines = json_lines(capsys.readouterr().out)
    failed = [ln for ln in lines if ln.get("message") == "record failed"]
    assert [ln["record_id"] for ln in failed] == [ids[0]]
    summary = [ln for ln in lines if "records" in ln]
    assert summary and (summary[-1]["records"], summary[-1]["succeeded"], summary[-1]["failed"]) == (2, 1, 1)


@attrs.frozen
class Message:
    message: str


def test_sqs_sample_a_body_that_is_not_json_is_a_reported_failure_not_an_exception():
    event = sample("sqsEvent.json")
    ids = sqs_ids(event)
    ledger = Ledger()

    class Typed(SqsBatchService):
        def process_record(self, msg: Message) -> None:
            assert msg == Message("foo1")
            ledger.succeeded.append(self.record["messageId"])

    ledger.check(Typed.handler(event, lambda_context()), ids, [ids[0]])


def test_sqs_structuring_problem_is_a_failure_that_on_error_sees():
    event = sqs_event([{"message": "ok"}, {"message": 3.5, "extra": 1}, {"nope": 1}])
    ids = sqs_ids(event)
    seen: list[int] = []

    class Typed(SqsBatchService):
        def process_record(self, msg: Message) -> None:
            pass

        def on_error(self, error: ServiceError) -> Any:
            seen.append(error.code)
            raise error

    answer = Typed.handler(event, lambda_context())
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == ids[1:]
    assert seen == [400, 400]  # a number is not a str; a missing field


def test_on_error_returning_marks_the_record_handled():
    event = sqs_event(["poison", {"message": "ok"}])

    class DropPoison(SqsBatchService):
        def process_record(self, msg: Message) -> None:
            pass

        def on_error(self, error: ServiceError) -> Any:
            if isinstance(error, BadRequest):
                return None  # drop it on purpose
            raise error

    assert DropPoison.handler(event, lambda_context()) == {"batchItemFailures": []}


def test_every_record_failing_reports_every_record_and_does_not_raise():
    event = sqs_event([1, 2, 3])

    class Fails(SqsBatchService):
        def process_record(self, n: int) -> None:
            raise RuntimeError("down")

    answer = Fails.handler(event, lambda_context())
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == sqs_ids(event)


@pytest.mark.parametrize("event", [{"Records": []}, {}, {"Records": None}, {"something": "else"}])
def test_no_records_answers_an_empty_failure_list(event):
    class Any_(SqsBatchService):
        def process_record(self, n: int) -> None:
            raise AssertionError("no record to process")

    assert Any_.handler(event, lambda_context()) == {"batchItemFailures": []}


def test_a_record_without_an_id_fails_the_whole_batch_loudly():
    event = sqs_event([1, 2])
    del event["Records"][1]["messageId"]

    class Ok(SqsBatchService):
        def process_record(self, n: int) -> None:
            pass

    with pytest.raises(ValueError, match="record 1 of the batch has no identifier"):
        Ok.handler(event, lambda_context())


def test_fifo_sample_shape_stops_at_the_first_failure_and_reports_the_rest():
    fifo_sample = sample("snsSqsFifoEvent.json")["Records"][0]
    records = []
    for n in range(5):
        record = copy.deepcopy(fifo_sample)
        record["messageId"] = f"m-{n}"
        record["body"] = json.dumps({"n": n})
        records.append(record)
    event = {"Records": records}
    ledger = Ledger()

    class Ordered(SqsBatchService):  # the ARN ends in .fifo: detected
        def process_record(self, data: dict[str, int]) -> None:
            ledger.attempted.append(self.record["messageId"])
            if data["n"] == 2:
                raise ValueError("injected")
            ledger.succeeded.append(self.record["messageId"])

    answer = Ordered.handler(event, lambda_context())
    ledger.check(answer, [f"m-{n}" for n in range(5)], ["m-2", "m-3", "m-4"])
    assert ledger.attempted == ["m-0", "m-1", "m-2"]  # nothing after the failure ran


def test_fifo_factory_event_and_explicit_option():
    event = sqs_event([0, 1, 2], fifo=True)
    assert event["Records"][0]["eventSourceARN"].endswith(".fifo")

    class NotFifo(SqsBatchService):
        fifo = False

        def process_record(self, n: int) -> None:
            if n == 0:
                raise ValueError("first")

    ids = sqs_ids(event)
    assert [
        f["itemIdentifier"] for f in NotFifo.handler(event, lambda_context())["batchItemFailures"]
    ] == ids[:1]

    class Fifo(SqsBatchService):
        def process_record(self, n: int) -> None:
            if n == 0:
                raise ValueError("first")

    assert [f["itemIdentifier"] for f in Fifo.handler(event, lambda_context())["batchItemFailures"]] == ids


def test_parallel_records_share_the_invocation_and_report_in_record_order():
    event = sqs_event(list(range(40)))
    ids = sqs_ids(event)
    ledger = Ledger()
    threads: set[int] = set()
    seen_invocations: set[int] = set()
    barrier = threading.Barrier(4, timeout=5)

    class Parallel(SqsBatchService):
        parallel = 4

        def process_record(self, n: int) -> None:
            threads.add(threading.get_ident())
            invocation = current_invocation()
            assert invocation is not None and current_collector() is invocation.collector
            seen_invocations.add(id(invocation))
            if n < 4:
                barrier.wait()  # proves 4 records run at once
            if n % 7 == 3:
                raise ValueError("injected")
            with ledger.lock:
                ledger.succeeded.append(self.record["messageId"])

    answer = Parallel.handler(event, lambda_context())
    expected = [ids[n] for n in range(40) if n % 7 == 3]
    ledger.check(answer, ids, expected)
    assert len(threads) >= 2
    assert len(seen_invocations) == 1


def test_collected_errors_from_threads_reach_the_invocation_collector(capsys):
    from pypwext import ErrorAction, UnprocessableEntity

    event = sqs_event([1, 2, 3, 4])

    class Collecting(SqsBatchService):
        parallel = 2

        def process_record(self, n: int) -> None:
            if n % 2 == 0:
                raise UnprocessableEntity(f"odd rule {n}", action=ErrorAction.CONTINUE)

    answer = Collecting.handler(event, lambda_context())
    assert answer == {"batchItemFailures": []}  # CONTINUE: collected, the record succeeded
    summary = [ln for ln in json_lines(capsys.readouterr().out) if "records" in ln][-1]
    assert sorted(summary["errors"]) == [422, 422]


# --- Kinesis ------------------------------------------------------------------------------------


def test_kinesis_sample_base64_text_with_a_failure_injected():
    event = sample("kinesisStreamEvent.json")
    ids = stream_ids(event, "kinesis", "sequenceNumber")
    ledger = Ledger()

    class Lines(KinesisBatchService):
        def process_record(self, text: str) -> None:
            if text == "This is only a test.":
                raise ValueError("injected")
            assert text == "Hello, this is a test."
            ledger.succeeded.append(self.record["kinesis"]["sequenceNumber"])

    ledger.check(Lines.handler(event, lambda_context()), ids, [ids[1]])


def test_kinesis_json_payloads_bad_base64_and_bytes():
    event = kinesis_event([{"n": 1}, {"n": 2}, b"\xff\xfe", {"n": 4}])
    event["Records"][1]["kinesis"]["data"] = "!!not base64!!"
    ids = stream_ids(event, "kinesis", "sequenceNumber")
    got: list[int] = []

    class Numbers(KinesisBatchService):
        def process_record(self, data: dict[str, int]) -> None:
            got.append(data["n"])

    answer = Numbers.handler(event, lambda_context())
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [ids[1], ids[2]]
    assert got == [1, 4]

    class Raw(KinesisBatchService):
        def process_record(self, data: bytes) -> None:
            got.append(len(data))

    assert [f["itemIdentifier"] for f in Raw.handler(event, lambda_context())["batchItemFailures"]] == [
        ids[1]
    ]


# --- DynamoDB streams ---------------------------------------------------------------------------


@attrs.frozen
class Item:
    Id: int
    Message: str


def test_dynamodb_sample_new_images_structured_with_a_failure_injected():
    event = sample("dynamoStreamEvent.json")
    ids = stream_ids(event, "dynamodb", "SequenceNumber")
    ledger = Ledger()
    items: list[Item] = []

    class Items(DynamoDBStreamBatchService):
        def process_record(self, item: Item) -> None:
            if item.Message == "This item has changed":
                raise ValueError("injected")
            items.append(item)
            ledger.succeeded.append(self.record["dynamodb"]["SequenceNumber"])

    ledger.check(Items.handler(event, lambda_context()), ids, ["222"])
    assert items == [Item(101, "New item!")]


def test_dynamodb_change_type_sees_removals_and_old_images():
    event = dynamodb_stream_event([{"id": 1, "name": "a"}], event_name="REMOVE", keys=["id"])
    changes: list[DynamoDBChange] = []

    class Changes(DynamoDBStreamBatchService):
        def process_record(self, change: DynamoDBChange) -> None:
            changes.append(change)

    assert Changes.handler(event, lambda_context()) == {"batchItemFailures": []}
    assert changes[0].event_name == "REMOVE" and changes[0].new_image is None
    assert changes[0].old_image == {"id": 1, "name": "a"} and changes[0].keys == {"id": 1}

    class NewOnly(DynamoDBStreamBatchService):
        def process_record(self, item: dict[str, Any]) -> None:
            raise AssertionError("a removal has no new image: skipped")

    assert NewOnly.handler(event, lambda_context()) == {"batchItemFailures": []}


def test_dynamodb_a_bad_image_is_a_reported_failure():
    event = dynamodb_stream_event([{"id": 1}, {"id": 2}])
    event["Records"][0]["dynamodb"]["NewImage"] = {"id": {"X": "?"}}
    ids = stream_ids(event, "dynamodb", "SequenceNumber")

    class Items(DynamoDBStreamBatchService):
        def process_record(self, item: dict[str, Any]) -> None:
            pass

    assert [f["itemIdentifier"] for f in Items.handler(event, lambda_context())["batchItemFailures"]] == ids[
        :1
    ]


# --- definitions that cannot work fail at import ------------------------------------------------


def test_definition_errors():
    with pytest.raises(TypeError, match="not execute"):

        class WithExecute(SqsBatchService):
            def execute(self, data: Any) -> None: ...

    with pytest.raises(TypeError, match="must define process_record"):

        class Nothing(SqsBatchService):
            pass

    with pytest.raises(TypeError, match="FIFO"):

        class Both(SqsBatchService):
            fifo = True
            parallel = 4

            def process_record(self, data: Any) -> None: ...

    with pytest.raises(TypeError, match="parallel"):

        class Zero(SqsBatchService):
            parallel = 0

            def process_record(self, data: Any) -> None: ...

    with pytest.raises(TypeError, match="unknown option 'paralel"):

        class Typo(SqsBatchService):
            paralel = 4

            def process_record(self, data: Any) -> None: ...

    with pytest.raises(TypeError, match="exactly one argument"):

        class TwoArgs(KinesisBatchService):
            def process_record(self, a: Any, b: Any) -> None: ...


def test_a_subclass_of_a_batch_service_inherits_process_record():
    class Base(SqsBatchService):
        def process_record(self, n: int) -> None:
            if n == 2:
                raise ValueError("two")

    class Child(Base):
        parallel = 2

    event = sqs_event([1, 2])
    assert Child.handler(event, lambda_context())["batchItemFailures"] == [
        {"itemIdentifier": sqs_ids(event)[1]}
    ]


def test_a_failed_record_of_a_pii_service_is_logged_masked(capsys):
    from pypwext import InfoClassification
    from pypwext.kinds._batch import SqsBatchService
    from pypwext.testing import sqs_event

    class Subscribe(SqsBatchService):
        classification = InfoClassification.PII

        def process_record(self, record: dict[str, str]) -> None:
            raise ValueError(f"no customer with email {record['email']}")

    event = sqs_event([{"email": "ada@example.com"}])
    answer = Subscribe.handler(event, None)
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [event["Records"][0]["messageId"]]
    out = capsys.readouterr().out
    assert "ada@example.com" not in out
    failures = [e for e in json_lines(out) if e.get("level") == "ERROR"]
    assert failures and failures[0]["record_id"] == event["Records"][0]["messageId"]
