"""EventBridge and schedule services on the real EventBridge samples: detail structured, filters,
failures raised (so Lambda retries and the DLQ gets them), ignored events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from pypwext import ServiceError, UnprocessableEntity
from pypwext.kinds._eventbridge import EventBridgeEvent, EventService, ScheduledService
from pypwext.testing import eventbridge_event, lambda_context, scheduled_event
from tests._support.aws_samples import sample
from tests._support.logs import json_lines

SAMPLES = [
    "eventBridgeEvent.json",
    "s3EventBridgeNotificationObjectCreatedEvent.json",
    "s3EventBridgeNotificationObjectDeletedEvent.json",
    "s3EventBridgeNotificationObjectExpiredEvent.json",
    "s3EventBridgeNotificationObjectRestoreCompletedEvent.json",
]


@attrs.frozen
class InstanceChange:
    instance_id: str
    state: str


def test_the_ec2_sample_detail_is_structured():
    seen: list[Any] = []

    class Instances(EventService):
        sources = ("aws.ec2",)
        detail_types = ("EC2 Instance State-change Notification",)

        def execute(self, change: InstanceChange) -> InstanceChange:
            seen.append((change, self.event.id, self.event.region))
            return change

    answer = Instances.handler(sample("eventBridgeEvent.json"), lambda_context())
    assert answer == {"instance_id": "i-1234567890abcdef0", "state": "terminated"}
    assert seen == [
        (
            InstanceChange("i-1234567890abcdef0", "terminated"),
            "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "us-west-1",
        )
    ]


def test_samples_with_failures_injected_raise_exactly_the_failed_ones():
    events = [sample(name) for name in SAMPLES]
    failing = {events[1]["id"], events[3]["id"]}
    succeeded: list[str] = []

    class Everything(EventService):
        def execute(self, envelope: EventBridgeEvent) -> None:
            if envelope.id in failing:
                raise RuntimeError(f"injected {envelope.detail_type}")
            succeeded.append(envelope.id)

    raised: list[str] = []
    for event in events:
        try:
            Everything.handler(event, lambda_context())
        except RuntimeError as exc:  # the original exception, for Lambda's error report
            assert str(exc).startswith("injected")
            raised.append(event["id"])
    assert set(raised) == failing
    assert not set(raised) & set(succeeded)
    assert len(succeeded) == len(set(succeeded)) == len(events) - len(failing)


def test_filters_ignore_a_misrouted_event_with_a_warning(capsys):
    class OnlyCreated(EventService):
        sources = ("aws.s3",)
        detail_types = ("Object Created",)

        def execute(self, detail: dict[str, Any]) -> str:
            return str(detail["object"]["key"])

    created = sample("s3EventBridgeNotificationObjectCreatedEvent.json")
    assert OnlyCreated.handler(created, lambda_context()) == created["detail"]["object"]["key"]
    deleted = sample("s3EventBridgeNotificationObjectDeletedEvent.json")
    assert OnlyCreated.handler(deleted, lambda_context()) is None
    lines = json_lines(capsys.readouterr().out)
    ignored = [ln for ln in lines if ln["message"].startswith("event ignored")]
    assert len(ignored) == 1 and ignored[0]["detail_type"] == "Object Deleted"


def test_a_bad_detail_raises_a_400_service_error():
    class Typed(EventService):
        def execute(self, change: InstanceChange) -> None:
            raise AssertionError("not reached")

    with pytest.raises(ServiceError) as info:
        Typed.handler(eventbridge_event({"instance_id": 3}), lambda_context())
    assert info.value.code == 400
    problems = {p["path"] for p in info.value.details["problems"]}
    assert problems == {"instance_id", "state"}


def test_not_an_eventbridge_event_raises():
    class Any_(EventService):
        def execute(self, detail: Any) -> None:
            pass

    with pytest.raises(ServiceError, match="not an EventBridge event"):
        Any_.handler({"Records": []}, lambda_context())


def test_a_result_that_cannot_be_encoded_fails_the_event_through_on_error(capsys):
    seen: list[ServiceError] = []

    class Unencodable(EventService):
        def execute(self, detail: dict[str, Any]) -> Any:
            return Path("/etc/passwd")

        def on_error(self, error: ServiceError) -> Any:
            seen.append(error)
            raise error

    capsys.readouterr()
    # like any unexpected failure of an event: on_error sees a 500, then the original exception
    # is raised (Lambda retries the event) after the event's one ERROR line
    with pytest.raises(TypeError, match="not JSON serialisable"):
        Unencodable.handler(eventbridge_event({"a": 1}), lambda_context())
    assert [e.code for e in seen] == [500]
    errors = [e for e in json_lines(capsys.readouterr().out) if e.get("level") == "ERROR"]
    assert len(errors) == 1 and errors[0]["message"] == "event failed"


def test_on_error_may_handle_a_failure_instead_of_raising():
    class Lenient(EventService):
        def execute(self, detail: dict[str, int]) -> int:
            raise UnprocessableEntity("too late")

        def on_error(self, error: ServiceError) -> Any:
            return {"skipped": error.code}

    assert Lenient.handler(eventbridge_event({"n": 1}), lambda_context()) == {"skipped": 422}


def test_scheduled_service_takes_only_schedule_events():
    runs: list[str] = []

    class Nightly(ScheduledService):
        def execute(self, event: EventBridgeEvent) -> None:
            runs.append(event.time)

    event = scheduled_event("nightly")
    assert Nightly.handler(event, lambda_context()) is None
    assert runs == [event["time"]]
    assert Nightly.handler(eventbridge_event({}), lambda_context()) is None  # ignored
    assert runs == [event["time"]]


def test_definition_errors():
    with pytest.raises(TypeError, match="sources"):

        class Wrong(EventService):
            sources = "aws.ec2"  # a str, not a tuple

            def execute(self, detail: Any) -> None: ...

    with pytest.raises(TypeError, match="not process_record"):

        class Mixed(EventService):
            def process_record(self, detail: Any) -> None: ...

    with pytest.raises(TypeError, match="unknown option 'detail_type"):

        class Typo(EventService):
            detail_type = ("x",)

            def execute(self, detail: Any) -> None: ...


class _Echo(EventService):
    def execute(self, detail: dict[str, Any]) -> Any:
        return detail


def test_an_echoed_lone_surrogate_answers_valid_utf8():
    """A JSON ``"\\ud800"`` in a detail decodes to a lone surrogate; echoed back as is, the Lambda
    runtime's encoder (``ensure_ascii=False`` on Python 3.12+) would fail and the invocation end
    without an answer. The answer holds U+FFFD instead, as an HTTP answer does."""
    answer = _Echo.handler(eventbridge_event(detail={"name": "x\ud800y"}), lambda_context())
    assert answer == {"name": "x\ufffdy"}
    json.dumps(answer, ensure_ascii=False).encode("utf-8")  # what the runtime does: no error


def test_a_result_deeper_than_a_client_may_send_still_goes_out():
    """pypwext's own output is not held to the depth limit of a client's input (64 levels)."""
    deep: Any = "bottom"
    for _ in range(100):
        deep = [deep]

    class Deep(EventService):
        def execute(self, detail: dict[str, Any]) -> Any:
            return {"deep": deep}

    assert Deep.handler(eventbridge_event(detail={}), lambda_context()) == {"deep": deep}
