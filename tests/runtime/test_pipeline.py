"""One lifecycle pipeline for every kind of service (pypwext.runtime._pipeline): what a user sees
of it is the same for an HTTP service, a batch and an EventBridge service -- one ERROR line per
failed item, the audit entry of an AUDIT service at any level with its outcome, and CONTINUE
errors collected where ``collecting()`` says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pypwext import BaseService, ErrorAction, InternalError, ServiceError, step
from pypwext.base import LogEntryType
from pypwext.errors import collecting
from pypwext.kinds._batch import SqsBatchService
from pypwext.kinds._eventbridge import EventService
from pypwext.testing import api_gateway_event, eventbridge_event, lambda_context, sqs_event


def log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# --- (a) a failing batch record writes exactly one ERROR line ------------------------------------


@pytest.mark.parametrize(
    "failure",
    [ValueError("boom"), InternalError("the store is down"), ServiceError("bad", code=503)],
    ids=["unexpected", "internal-error", "service-error-5xx"],
)
def test_a_failing_batch_record_writes_exactly_one_error_line(capsys, failure):
    class Fails(SqsBatchService):
        def process_record(self, n: int) -> int:
            if n == 2:
                raise failure
            return n

    event = sqs_event([1, 2, 3])
    answer = Fails.handler(event, lambda_context())
    assert answer["batchItemFailures"] == [{"itemIdentifier": event["Records"][1]["messageId"]}]
    errors = [ln for ln in log_lines(capsys.readouterr().out) if ln["level"] == "ERROR"]
    assert len(errors) == 1, errors
    assert errors[0]["record_id"] == event["Records"][1]["messageId"]


def test_a_batch_record_whose_on_error_raises_a_new_error_writes_one_error_line(capsys):
    class Converts(SqsBatchService):
        def process_record(self, n: int) -> int:
            raise ValueError("boom")

        def on_error(self, error: ServiceError) -> Any:
            raise ServiceError("converted", code=502)

    Converts.handler(sqs_event([1]), lambda_context())
    errors = [ln for ln in log_lines(capsys.readouterr().out) if ln["level"] == "ERROR"]
    assert len(errors) == 1, errors


def test_an_http_service_that_fails_writes_one_error_line(capsys):
    class Fails(BaseService):
        def execute(self, data: Any) -> Any:
            raise ValueError("boom")

    response = Fails.handler(api_gateway_event("GET", "/x"), lambda_context())
    assert response["statusCode"] == 500
    errors = [ln for ln in log_lines(capsys.readouterr().out) if ln["level"] == "ERROR"]
    assert len(errors) == 1, errors


# --- (b) the audit entry of an AUDIT service, of any kind -----------------------------------------


class _AuditedHttp(BaseService):
    log_type = LogEntryType.AUDIT

    def execute(self, data: Any) -> dict[str, int]:
        return {"ok": 1}


def _audited_batch() -> type[SqsBatchService]:
    class AuditedBatch(SqsBatchService):
        log_type = LogEntryType.AUDIT

        def process_record(self, n: int) -> int:
            return n

    return AuditedBatch


def _audited_events() -> type[EventService]:
    class AuditedEvents(EventService):
        log_type = LogEntryType.AUDIT

        def execute(self, detail: dict[str, int]) -> int:
            return 1

    return AuditedEvents


def _run(kind: str) -> None:
    if kind == "http":
        _AuditedHttp.handler(api_gateway_event("GET", "/x"), lambda_context())
    elif kind == "batch":
        _audited_batch().handler(sqs_event([1, 2]), lambda_context())
    else:
        _audited_events().handler(eventbridge_event({"a": 1}, source="shop"), lambda_context())


@pytest.mark.parametrize("level", ["WARNING", "INFO"])
@pytest.mark.parametrize("kind", ["http", "batch", "eventbridge"])
def test_an_audit_service_of_every_kind_writes_its_audit_entry_with_its_outcome(
    capsys, monkeypatch, kind, level
):
    monkeypatch.setenv("LOG_LEVEL", level)
    _run(kind)
    entries = [
        ln for ln in log_lines(capsys.readouterr().out) if ln.get("type") == "AUDIT" and "status" in ln
    ]
    assert len(entries) == 1, entries
    assert entries[0]["outcome"] == "success"
    assert entries[0]["status"] == 200


# --- one collect-or-raise ---------------------------------------------------------------------


def test_inside_collecting_continue_errors_from_every_place_go_to_that_collector(capsys):
    """Inside an invocation, ``with collecting()`` in ``execute``: a CONTINUE error of a @step
    helper, one of a dependency (the testing fake, which collects like the real clients) and one
    of a fan-out task all land in the collector ``collecting()`` installed, none in the
    invocation's."""
    from pypwext.dependencies.fanout import fan_out
    from pypwext.testing import FakeHttp

    seen: dict[str, Any] = {}

    class Helpers(BaseService):
        just_status_code = False

        @step
        def helper(self) -> str:
            raise ServiceError("one", code=409, action=ErrorAction.CONTINUE, return_value="a")

        def execute(self, data: Any) -> Any:
            fake = FakeHttp(on_error=ErrorAction.CONTINUE, default="b").fail(503)

            def task(_: int) -> Any:
                raise ServiceError("three", code=404)

            with collecting() as collector:
                got = [self.helper(), fake.get(), *fan_out(task, [1], on_error=ErrorAction.CONTINUE)]
            seen["codes"] = [e.code for e in collector.errors]
            seen["invocation"] = [e.code for e in self.errors.errors]
            return got

    response = Helpers.handler(api_gateway_event("GET", "/x"), lambda_context())
    assert seen == {"codes": [409, 502, 404], "invocation": []}
    assert json.loads(response["body"]) == ["a", "b", None]


# --- one class-time spec ----------------------------------------------------------------------


def _pypwext_attributes(cls: type) -> set[str]:
    return {name for name in vars(cls) if name.startswith("_pypwext")}


def test_a_service_class_of_every_kind_carries_one_pypwext_class_attribute():
    from pypwext.kinds._s3 import S3ObjectService

    class Http(BaseService):
        def execute(self, data: Any) -> Any:
            return None

    class Rows(S3ObjectService):
        record_format = "csv"

        def process_record(self, row: dict[str, str]) -> None:
            return None

    for cls in (Http, _audited_batch(), _audited_events(), Rows, SqsBatchService, EventService, BaseService):
        assert _pypwext_attributes(cls) == {"_pypwext_spec"}, cls


def test_the_kinds_declare_their_options_and_source_through_the_spec():
    class Fifo(SqsBatchService):
        fifo = True

        def process_record(self, n: int) -> int:
            return n

    spec = Fifo._pypwext_spec
    assert spec.kind.source == "sqs"
    assert set(spec.kind.options) == {"parallel", "deadline_margin_ms", "fifo"}
    assert spec.kind.lifecycle == ("validate", "process_record", "on_error")
    assert spec.input_type is int
    assert not spec.declares_kind and SqsBatchService._pypwext_spec.declares_kind
    with pytest.raises(TypeError, match="FIFO queue is processed in order"):

        class Both(SqsBatchService):
            fifo = True
            parallel = 4

            def process_record(self, n: int) -> int:
                return n

    with pytest.raises(TypeError, match="unknown option 'fifoo"):

        class Typo(SqsBatchService):
            fifoo = True

            def process_record(self, n: int) -> int:
                return n
