"""``pypwext serve``'s worker (pypwext.tools._local.worker), run in process: what its reply tells
the server for the access line, from one routing of the request."""

from __future__ import annotations

from typing import Any

import pytest

from pypwext import BaseService, InfoClassification, Request
from pypwext.runtime._routes import Api
from pypwext.testing import api_gateway_event
from pypwext.tools._local import worker
from pypwext.tools._local.targets import project_of


class Customer(BaseService):
    route = "GET /customers/{id}"
    operation = "get-customer"
    classification = InfoClassification.PII

    def execute(self, request: Request) -> dict[str, bool]:
        return {"found": True}


class Health(BaseService):
    route = "GET /health"
    operation = "health"

    def execute(self, request: Request) -> str:
        return "ok"


@pytest.mark.parametrize(
    ("path", "operation", "shown"),
    [
        ("/customers/ada@example.com", "get-customer", "/customers/{id}"),
        ("/health", "health", None),  # not PII: the concrete path
        ("/nowhere/ada", None, "*** redacted (PII) ***"),
    ],
)
def test_the_reply_names_the_operation_and_the_shown_path_from_one_match(
    path: str, operation: str | None, shown: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_of({"api": Api(Customer, Health)})
    matched: list[tuple[str, str]] = []
    real = Api.match

    def counted(self: Api, method: str, path: str) -> Any:
        matched.append((method, path))
        return real(self, method, path)

    monkeypatch.setattr(Api, "match", counted)
    message = {"function": None, "event": api_gateway_event("GET", path), "route": ["GET", path]}
    reply = worker._run(project, message)
    assert reply["operation"] == operation
    assert reply["path"] == shown
    assert reply["result"]["statusCode"] == (404 if operation is None else 200)
    # the Api routes the event once, the worker the request once (for the operation and the path)
    assert matched == [("GET", path), ("GET", path)]


def test_an_invoke_runs_with_the_callers_trace_header_and_the_next_one_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What Lambda's runtime does per invocation: the Invoke API call's X-Amzn-Trace-Id is the
    callee's _X_AMZN_TRACE_ID for that invocation only."""
    import os

    seen: list[str | None] = []

    def handler(event: Any, context: Any) -> str:
        seen.append(os.environ.get("_X_AMZN_TRACE_ID"))
        return "ok"

    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    project = project_of({"billing": handler})
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    assert worker._run(project, {"function": "billing", "event": {}, "trace_id": trace}) == {"result": "ok"}
    assert worker._run(project, {"function": "billing", "event": {}}) == {"result": "ok"}
    assert seen == [trace, None]
    assert "_X_AMZN_TRACE_ID" not in os.environ
