"""Pypwext services calling each other under ``pypwext serve`` produce one trace: the example
checkout calls inventory over HTTP and billing through the Invoke API on the same local server,
every service exports to a loopback OTLP receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.conftest import ServeProcess
from tests.integration.otlp_receiver import OtlpReceiver, Span

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ServeProcess, OtlpReceiver]]:
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
        server = ServeProcess("examples/orders/api.py", REPO, tmp_path / "serve.log", reload=False)
        try:
            server.wait()
            yield server, receiver
        finally:
            server.stop()


def _spans(receiver: OtlpReceiver, names: set[str]) -> dict[str, Span]:
    """The spans by name once all of ``names`` arrived (each invocation exports before it answers)."""
    deadline = time.monotonic() + 10
    while True:
        found = {s.name: s for s in receiver.spans()}
        if names <= found.keys() or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_checkout_inventory_and_billing_share_one_trace(served: tuple[ServeProcess, OtlpReceiver]) -> None:
    server, receiver = served
    cart = {"order_id": 7, "lines": [{"item_id": "widget", "quantity": 2}]}
    answer = requests.post(f"{server.url}/checkout", json=cart, timeout=30)
    assert answer.status_code == 201, answer.text
    names = {"place-order", "get-stock", "inventory GET", "billing RequestResponse", "charge-order"}
    spans = _spans(receiver, names)
    checkout, client, inventory = spans["place-order"], spans["inventory GET"], spans["get-stock"]
    assert checkout.kind == "SERVER" and inventory.kind == "SERVER" and client.kind == "CLIENT"
    assert inventory.parent_id == client.span_id
    assert inventory.trace_id == client.trace_id == checkout.trace_id
    # checkout's invoke of charge-order carries X-Amzn-Trace-Id; as Lambda does, pypwext serve
    # hands it to the callee as its _X_AMZN_TRACE_ID: billing joins the trace under the call
    invoke, billing = spans["billing RequestResponse"], spans["charge-order"]
    assert invoke.kind == "CLIENT" and billing.kind == "SERVER"
    assert billing.trace_id == invoke.trace_id == checkout.trace_id
    assert billing.parent_id == invoke.span_id
