"""X-Ray traces a service sends, read from a real UDP listener standing in for the X-Ray daemon.

The X-Ray SDK reads its daemon address, and whether it runs in Lambda, when it is imported, so
each scenario runs in a fresh interpreter with the environment Lambda would give it:
``LAMBDA_TASK_ROOT``, ``AWS_LAMBDA_FUNCTION_NAME``, a sampled ``_X_AMZN_TRACE_ID`` and
``AWS_XRAY_DAEMON_ADDRESS`` pointing at the listener.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pypwext import BaseService, Request
from pypwext.observability.tracing import active, read_trace_header, trace_call, wanted
from tests.observability.xray_daemon import run_traced

REPO = Path(__file__).resolve().parents[2]
TRACE_ROOT = "1-5759e988-bd862e3fe1be46a994272793"

SCRIPT = textwrap.dedent(
    """
    from pypwext import BaseService, InfoClassification, NotFound
    from pypwext.testing import lambda_context
    from pypwext.observability.tracing import trace_call

    class Shop(BaseService):
        service = "shop"
        operation = "buy"
        tracing = TRACING

        def execute(self, data: dict[str, int]) -> dict[str, int]:
            with trace_call("inventory GET", dependency="inventory"):
                if data.get("missing"):
                    raise NotFound("no such item")
            return data

    class Private(BaseService):
        service = "private"
        classification = InfoClassification.PII
        tracing = TRACING

        def execute(self, data: dict[str, str]) -> None:
            raise ValueError("cannot mail " + data["email"])

    ctx = lambda_context("shop-fn")
    Shop.handler({"ok": 1}, ctx)
    Shop.handler({"missing": 1}, ctx)
    Private.handler({"email": "ada@example.com"}, ctx)
    """
)


def run(tracing: str, lambda_mode: bool) -> list[dict[str, Any]]:
    env = {}
    if lambda_mode:
        env.update(
            LAMBDA_TASK_ROOT=str(REPO),
            AWS_LAMBDA_FUNCTION_NAME="shop-fn",
            _X_AMZN_TRACE_ID=f"Root={TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1",
        )
    return run_traced(SCRIPT.replace("TRACING", tracing), env)


def test_lambda_mode_subsegments_annotations_and_errors() -> None:
    docs = run("None", lambda_mode=True)  # the default: traced because Lambda sampled it
    assert all(d["trace_id"] == TRACE_ROOT and d["type"] == "subsegment" for d in docs)
    names = [d["name"] for d in docs]
    assert names.count("## buy") == 2 and names.count("inventory GET") == 2
    assert names.count("buy.validate") == names.count("buy.execute") == 2
    assert names.count("buy.render") == names.count("buy.on_error") == 1  # the 404 goes through on_error
    first, second = (d for d in docs if d["name"] == "## buy")
    assert first["annotations"]["service"] == "shop" and first["annotations"]["operation"] == "buy"
    assert first["annotations"]["cold_start"] is True and second["annotations"]["cold_start"] is False
    assert first["parent_id"] == "53995c3f42cd8ad8"  # under Lambda's own segment
    children = {d["name"]: d for d in docs if d.get("parent_id") == first["id"]}
    assert {"buy.validate", "buy.execute", "buy.render"} <= set(children)
    inventory = [d for d in docs if d["name"] == "inventory GET"]
    assert inventory[0]["annotations"] == {"dependency": "inventory"} and "cause" not in inventory[0]
    # the 404 is recorded once, on the subsegment that raised it, as a client error
    failed = inventory[1]
    assert failed["error"] is True and not failed.get("fault")
    assert failed["cause"]["exceptions"][0]["type"] == "NotFound"
    assert not any("cause" in d for d in docs if d["name"] in ("buy.execute", "buy.on_error", "## buy"))
    assert second["annotations"]["status"] == 404 and second["error"] is True
    # the PII service: the fault is recorded, its message masked
    private = [d for d in docs if d["name"].startswith("private.") or d["name"] == "## private"]
    assert private and "ada@example.com" not in json.dumps(docs)
    execute = next(d for d in private if d["name"] == "private.execute")
    assert execute["fault"] is True
    assert execute["cause"]["exceptions"][0]["message"] == "*** redacted (PII) ***"


def test_tracing_true_outside_lambda_sends_whole_segments() -> None:
    docs = run("True", lambda_mode=False)
    segments = [d for d in docs if "type" not in d]  # a segment document has no type
    assert [s["name"] for s in segments] == ["shop", "shop", "private"]
    subsegments = [d for d in docs if d.get("type") == "subsegment"]
    assert {d["trace_id"] for d in subsegments} <= {s["trace_id"] for s in segments}
    assert len({s["trace_id"] for s in segments}) == 3  # one trace per invocation


def test_tracing_false_and_untraced_invocations_send_nothing() -> None:
    assert run("False", lambda_mode=True) == []


def test_when_tracing_is_wanted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "_X_AMZN_TRACE_ID", "POWERTOOLS_TRACE_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    assert wanted(None) is False and wanted(True) is True and wanted(False) is False
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-a-b;Parent=c;Sampled=0")
    assert wanted(None) is False
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-a-b;Parent=c;Sampled=1")
    assert wanted(None) is True
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert wanted(None) is False and wanted(True) is False


def test_trace_call_does_nothing_untraced() -> None:
    class Untraced(BaseService):
        tracing = False

        def execute(self, request: Request) -> bool:
            with trace_call("dependency") as subsegment:
                assert subsegment is None
            return active()

    assert Untraced().execute(Request.__new__(Request)) is False


def test_the_trace_header_is_read_as_os_environ_holds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    assert read_trace_header() == ""
    for value in ("Root=1-a-b;Parent=c;Sampled=1", "Root=1-\u00e9", ""):
        monkeypatch.setenv("_X_AMZN_TRACE_ID", value)  # what Lambda's runtime does per invocation
        assert read_trace_header() == os.environ["_X_AMZN_TRACE_ID"] == value
