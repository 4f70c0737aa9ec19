"""The dependency base: deadline budget from the running invocation."""

from __future__ import annotations

from typing import Any

from pypwext import BaseService, Request
from pypwext.dependencies.base import remaining_budget_s
from pypwext.testing import lambda_context


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
