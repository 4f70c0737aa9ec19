"""Batches under attack, on the real SQS, Kinesis and DynamoDB stream samples: a record that
raises anything (BaseException included) is reported, logged once, and the rest go on; a
batch whose invocation runs out of time stops and reports every record not done (never one
that succeeded); the kinds' summary line is the HTTP services' one (an AUDIT entry at any
level, with its outcome)."""

from __future__ import annotations

import contextlib
import copy
import io
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pypwext import BadRequest, ServiceError
from pypwext.base import LogEntryType
from pypwext.kinds._batch import DynamoDBStreamBatchService, KinesisBatchService, SqsBatchService
from pypwext.kinds._eventbridge import EventService
from pypwext.testing import eventbridge_event, lambda_context
from tests._support.aws_samples import sample
from tests._support.logs import json_lines

# Each source: its sample, how to read a record's id, how to give a copy a new id, its base class
SOURCES: dict[str, tuple[str, Any, Any, type]] = {
    "sqs": (
        "sqsEvent.json",
        lambda r: r["messageId"],
        lambda r, i: r.update(messageId=i),
        SqsBatchService,
    ),
    "kinesis": (
        "kinesisStreamEvent.json",
        lambda r: r["kinesis"]["sequenceNumber"],
        lambda r, i: r["kinesis"].update(sequenceNumber=i),
        KinesisBatchService,
    ),
    "dynamodb": (
        "dynamoStreamEvent.json",
        lambda r: r["dynamodb"]["SequenceNumber"],
        lambda r, i: r["dynamodb"].update(SequenceNumber=i),
        DynamoDBStreamBatchService,
    ),
}


def batch(source: str, size: int) -> tuple[dict[str, Any], list[str]]:
    """The real sample of ``source``, its records repeated to ``size`` with fresh ids."""
    name, get_id, set_id, _ = SOURCES[source]
    event = sample(name)
    records = []
    for index in range(size):
        record = copy.deepcopy(event["Records"][index % len(event["Records"])])
        if index >= len(event["Records"]):
            set_id(record, f"{get_id(record)}-{index}-{uuid.uuid4().hex[:6]}")
        records.append(record)
    event["Records"] = records
    return event, [get_id(r) for r in records]


def reported(answer: dict[str, Any]) -> list[str]:
    return [f["itemIdentifier"] for f in answer["batchItemFailures"]]


class Abort(BaseException):
    """A custom BaseException subclass, as GeneratorExit-like control flow raises."""


RAISED = {
    "SystemExit": lambda: SystemExit(3),
    "GeneratorExit": lambda: GeneratorExit(),
    "custom-BaseException": lambda: Abort("stop"),
    "ValueError": lambda: ValueError("bad"),
    "BadRequest": lambda: BadRequest("bad record"),
    "ServiceError-503": lambda: ServiceError("backend down", code=503),
}


PAYLOAD = {"sqs": "str", "kinesis": "str", "dynamodb": "dict[str, Any]"}  # the samples' payloads


def service_for(
    source: str, fail: dict[int, Any], done: list[str], before: Any = None, **options: Any
) -> type:
    """A batch service of ``source`` whose record number ``n`` raises ``fail[n]()`` and every
    other appends its id to ``done`` (``before()`` runs first for each record)."""
    _, get_id, _, base = SOURCES[source]
    counter = iter(range(10_000))

    def process_record(self: Any, record: Any) -> None:
        if before is not None:
            before()
        number = next(counter)
        if number in fail:
            raise fail[number]()
        done.append(get_id(self.record))

    process_record.__annotations__ = {"record": PAYLOAD[source], "return": "None"}
    namespace: dict[str, Any] = {"process_record": process_record, **options}
    return type(f"Attacked{source.title()}", (base,), namespace)


@pytest.mark.parametrize("raised", sorted(RAISED))
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_a_record_raising_anything_is_reported_logged_once_and_the_rest_go_on(
    source: str, raised: str, capsys: pytest.CaptureFixture[str]
) -> None:
    event, ids = batch(source, 4)
    done: list[str] = []
    service = service_for(source, {1: RAISED[raised]}, done)
    answer = service.handler(event, lambda_context())
    assert reported(answer) == [ids[1]]
    assert done == [ids[0], ids[2], ids[3]]
    lines = json_lines(capsys.readouterr().out)
    errors = [ln for ln in lines if ln["level"] == "ERROR"]
    assert [ln.get("record_id") for ln in errors] == [ids[1]], "one ERROR line for the failed record"
    summary = [ln for ln in lines if "records" in ln]
    assert [(s["records"], s["succeeded"], s["failed"]) for s in summary] == [(4, 3, 1)]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_keyboard_interrupt_stops_the_batch_and_reports_every_record_not_done(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    event, ids = batch(source, 5)
    done: list[str] = []
    service = service_for(source, {2: KeyboardInterrupt}, done)
    answer = service.handler(event, lambda_context())  # answers: never loses what succeeded
    assert done == ids[:2]
    assert reported(answer) == ids[2:]
    lines = json_lines(capsys.readouterr().out)
    assert [ln.get("record_id") for ln in lines if ln["level"] == "ERROR"] == [ids[2]]
    warning = [ln for ln in lines if ln["level"] == "WARNING"]
    assert len(warning) == 1 and warning[0]["record_ids"] == ids[3:]


class Clock:
    """The invocation's remaining time on a fake clock that each record moves forward (the
    Lambda context cannot exist here; lambda_context() counts down in real time only)."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms
        self._real = lambda_context()

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.mark.parametrize("parallel", [1, 2])
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_a_batch_stops_before_the_deadline_and_reports_only_records_not_done(
    source: str, parallel: int, capsys: pytest.CaptureFixture[str]
) -> None:
    event, ids = batch(source, 8)
    clock = Clock(6_500)  # each record takes 1 s of it; the margin is 1 s
    done: list[str] = []

    def tick() -> None:
        clock.remaining_ms -= 1_000

    slow = service_for(source, {}, done, tick, parallel=parallel)
    answer = slow.handler(event, clock)
    failed = reported(answer)
    assert set(done) | set(failed) == set(ids) and not set(done) & set(failed)
    # records start at 6.5, 5.5, ... 1.5 s left: six of them; two threads may both start at 1.5 s
    assert len(done) == 6 if parallel == 1 else 6 <= len(done) <= 7
    if parallel == 1:
        assert clock.remaining_ms == 500, "a record was started without the margin left"
    lines = json_lines(capsys.readouterr().out)
    assert not [ln for ln in lines if ln["level"] == "ERROR"], "records not started are not errors"
    summary = [ln for ln in lines if "records" in ln][-1]
    assert (summary["succeeded"], summary["failed"]) == (len(done), 8 - len(done))


def test_the_deadline_margin_counts_on_a_real_clock_and_is_a_class_option() -> None:
    event, ids = batch("sqs", 3)
    done: list[str] = []
    short = service_for("sqs", {}, done)
    assert reported(short.handler(event, lambda_context(timeout_s=0.9))) == ids  # < 1 s: none started
    assert done == []
    relaxed = service_for("sqs", {}, done, deadline_margin_ms=100)
    assert reported(relaxed.handler(event, lambda_context(timeout_s=0.9))) == []
    assert done == ids
    with pytest.raises(TypeError, match="deadline_margin_ms"):
        service_for("sqs", {}, done, deadline_margin_ms=-1)


def test_a_fifo_batch_that_runs_out_of_time_reports_the_rest_in_order() -> None:
    event, ids = batch("sqs", 5)
    for record in event["Records"]:
        record["eventSourceARN"] += ".fifo"
    clock = Clock(3_500)
    done: list[str] = []

    class Fifo(SqsBatchService):
        def process_record(self, record: str) -> None:
            clock.remaining_ms -= 1_000
            done.append(self.record["messageId"])

    answer = Fifo.handler(event, clock)
    assert done == ids[:3] and reported(answer) == ids[3:]


# --- the summary line of the kinds is BaseService._summarise's ----------------------------------


def sqs_audit(level: str, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setenv("LOG_LEVEL", level)

    class Audited(SqsBatchService):
        service = f"audit-{uuid.uuid4().hex[:8]}"
        log_type = LogEntryType.AUDIT

        def process_record(self, text: str) -> None:
            if text == "Test message.":
                raise ValueError("injected")

    return Audited


def event_audit(level: str, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setenv("LOG_LEVEL", level)

    class AuditedEvent(EventService):
        service = f"audit-{uuid.uuid4().hex[:8]}"
        log_type = LogEntryType.AUDIT

        def execute(self, detail: dict[str, int]) -> int:
            if detail["n"] < 0:
                raise BadRequest("negative")
            return detail["n"]

    return AuditedEvent


@pytest.mark.parametrize("level", ["WARNING", "ERROR", "INFO"])
def test_an_audit_batch_service_writes_its_audit_entry_at_any_level_with_its_outcome(
    level: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = sqs_audit(level, monkeypatch)
    good = sample("sqsEvent.json")
    good["Records"] = good["Records"][1:]  # the record that succeeds
    service.handler(good, lambda_context())
    service.handler(sample("sqsEvent.json"), lambda_context())
    audit = [ln for ln in json_lines(capsys.readouterr().out) if ln.get("type") == "AUDIT" and "status" in ln]
    assert [(a["outcome"], a["status"], a["source"], a["failed"]) for a in audit] == [
        ("success", 200, "sqs", 0),
        ("failure", 500, "sqs", 1),
    ]


@pytest.mark.parametrize("level", ["WARNING", "INFO"])
def test_an_audit_event_service_writes_its_audit_entry_at_any_level_with_its_outcome(
    level: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = event_audit(level, monkeypatch)
    assert service.handler(eventbridge_event({"n": 1}), lambda_context()) == 1
    with pytest.raises(BadRequest):
        service.handler(eventbridge_event({"n": -1}), lambda_context())
    audit = [ln for ln in json_lines(capsys.readouterr().out) if ln.get("type") == "AUDIT" and "status" in ln]
    assert [(a["outcome"], a["status"], a["source"]) for a in audit] == [
        ("success", 200, "eventbridge"),
        ("failure", 400, "eventbridge"),
    ]
    assert audit[1]["failed"] is True


# --- any mix of failures, on any of the samples -------------------------------------------------

OUTCOMES = ["ok", "ok", "SystemExit", "custom-BaseException", "ValueError", "BadRequest", "interrupt"]


@settings(max_examples=60, deadline=None)
@given(
    source=st.sampled_from(sorted(SOURCES)),
    outcomes=st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=12),
    remaining_ms=st.integers(min_value=0, max_value=14_000),
)
def test_whatever_the_records_raise_and_whenever_time_runs_out_no_record_is_lost_or_doubled(
    source: str, outcomes: list[str], remaining_ms: int
) -> None:
    event, ids = batch(source, len(outcomes))
    clock = Clock(remaining_ms)
    _, get_id, _, base = SOURCES[source]
    attempted: list[str] = []
    succeeded: list[str] = []
    raises = {**RAISED, "interrupt": lambda: KeyboardInterrupt()}

    def process_record(self: Any, record: Any) -> None:
        rid = get_id(self.record)
        attempted.append(rid)
        clock.remaining_ms -= 1_000
        outcome = outcomes[ids.index(rid)]
        if outcome != "ok":
            raise raises[outcome]()
        succeeded.append(rid)

    process_record.__annotations__ = {"record": PAYLOAD[source], "return": "None"}
    service = type("Mixed", (base,), {"process_record": process_record})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        answer = service.handler(event, clock)
    failed = reported(answer)
    assert len(failed) == len(set(failed)) and len(succeeded) == len(set(succeeded))
    assert set(failed) | set(succeeded) == set(ids) and not set(failed) & set(succeeded)
    assert attempted == ids[: len(attempted)], "records run in order, each at most once"
    not_started = ids[len(attempted) :]
    assert set(not_started) <= set(failed)
    if "interrupt" in [outcomes[ids.index(r)] for r in attempted]:
        assert outcomes[len(attempted) - 1] == "interrupt", "nothing starts after an interrupt"
    raised = [r for r in attempted if outcomes[ids.index(r)] != "ok"]
    logged = [e.get("record_id") for e in json_lines(out.getvalue()) if e["level"] == "ERROR"]
    assert logged == raised, "one ERROR line per record that raised, none for the others"


def test_a_fifo_record_without_attributes_fails_the_whole_batch_with_our_reason() -> None:
    """Powertools' FIFO processor reads every record's attributes; a record whose attributes
    are not an object fails the batch with pypwext's ValueError (SQS redelivers it whole), not
    an AttributeError from inside the processor."""
    from pypwext import SqsBatchService
    from pypwext.testing import lambda_context, sqs_event

    class Fifo(SqsBatchService):
        fifo = True

        def process_record(self, body: dict) -> None:
            pass

    event = sqs_event([{"n": 1}, {"n": 2}])
    event["Records"][1]["attributes"] = None
    with pytest.raises(ValueError, match=r"record 1 of the batch has no attributes"):
        Fifo.handler(event, lambda_context())
