"""The dependency base: deadline budget from the running invocation."""

from __future__ import annotations

from typing import Any

from pypwext import BaseService, Request
from pypwext.runtime._dependency import remaining_budget_s
from pypwext.testing import lambda_context
from tests._support.logs import json_lines


def test_budget_is_the_remaining_time_less_the_margin_inside_an_invocation() -> None:
    seen: dict[str, Any] = {}

    class Probe(BaseService):
        def execute(self, request: Request) -> None:
            seen["budget"] = remaining_budget_s(margin_s=1.0)

    Probe.handler({}, lambda_context(timeout_s=10.0))
    assert 8.5 < seen["budget"] <= 9.0
    Probe.handler({}, None)
    assert seen["budget"] is None
    assert remaining_budget_s() is None


def test_dependencies_see_the_same_correlation_id_as_the_logs(capsys) -> None:  # type: ignore[no-untyped-def]

    from pypwext.observability._context import current_invocation
    from pypwext.testing import api_gateway_event

    seen: dict[str, Any] = {}

    class Traced(BaseService):
        correlation_id_path = 'headers."X-Correlation-Id"'  # JMESPath: the event's own case

        def execute(self, request: Request) -> None:
            invocation = current_invocation()
            assert invocation is not None
            seen["id"] = invocation.correlation_id

    Traced.handler(api_gateway_event("GET", "/", headers={"X-Correlation-Id": "abc-123"}), lambda_context())
    assert seen["id"] == "abc-123"
    logged = json_lines(capsys.readouterr().out)
    assert logged and all(entry["correlation_id"] == "abc-123" for entry in logged)


def test_event_driven_kinds_get_the_same_invocation_fields(capsys) -> None:  # type: ignore[no-untyped-def]

    from pypwext.kinds._batch import SqsBatchService
    from pypwext.testing import sqs_event

    class Counter(SqsBatchService):
        def process_record(self, record: dict[str, int]) -> None:
            return None

    answer = Counter.handler(sqs_event([{"n": 1}]), lambda_context(function_name="counter"))
    assert answer == {"batchItemFailures": []}
    logged = json_lines(capsys.readouterr().out)
    summary = logged[-1]
    assert summary["function_name"] == "counter" and "cold_start" in summary and summary["correlation_id"]
