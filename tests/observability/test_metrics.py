"""The EMF lines a service prints, checked against the Embedded Metric Format's structure."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from pypwext import BadRequest, BaseService, Request
from pypwext.observability.logging import _invocation
from pypwext.testing import api_gateway_event, lambda_context
from tests._support.logs import emf_lines

_names = itertools.count()


def check_emf(doc: dict[str, Any]) -> None:
    """The EMF specification's structure: _aws.Timestamp (epoch ms), CloudWatchMetrics with a
    Namespace, Dimensions (lists of keys present at the top level) and Metrics (names present at
    the top level with numbers)."""
    aws = doc["_aws"]
    assert isinstance(aws["Timestamp"], int) and aws["Timestamp"] > 1_600_000_000_000
    for directive in aws["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str) and directive["Namespace"]
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(doc[key], str) for key in dimension_set)
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]
            values = value if isinstance(value, list) else [value]
            assert values and all(isinstance(v, (int, float)) for v in values)


def metrics_of(doc: dict[str, Any]) -> dict[str, float]:
    names = [m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    return {n: (doc[n][0] if isinstance(doc[n], list) else doc[n]) for n in names}


def make_service(namespace: str | None = "Shop") -> type[BaseService]:
    class Orders(BaseService):
        service = f"metrics-{next(_names)}"
        metrics_namespace = namespace

        def execute(self, data: dict[str, int]) -> dict[str, int]:
            if data.get("bad"):
                raise BadRequest("bad")
            if data.get("boom"):
                raise RuntimeError("boom")
            self.metrics.add_metric(name="ItemsOrdered", unit="Count", value=data["items"])
            return data

    return Orders


def test_automatic_and_own_metrics_every_invocation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_invocation, "_cold_start", True)
    Orders = make_service()
    Orders.handler(api_gateway_event("POST", "/orders", body={"items": 3}), lambda_context())
    Orders.handler({"bad": 1}, None)
    Orders.handler({"boom": 1}, None)
    first, second, third = emf_lines(capsys.readouterr().out)
    for doc in (first, second, third):
        check_emf(doc)
        directive = doc["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "Shop" and directive["Dimensions"] == [["service"]]
        assert doc["service"] == Orders.service
        assert {m["Name"]: m["Unit"] for m in directive["Metrics"]}["Latency"] == "Milliseconds"
    assert metrics_of(first) == {
        "ItemsOrdered": 3.0,
        "ColdStart": 1.0,
        "Invocations": 1.0,
        "Latency": pytest.approx(metrics_of(first)["Latency"]),
        "Errors4xx": 0.0,
        "Errors5xx": 0.0,
    }
    assert metrics_of(first)["Latency"] > 0
    assert {k: metrics_of(second)[k] for k in ("ColdStart", "Errors4xx", "Errors5xx")} == {
        "ColdStart": 0.0,
        "Errors4xx": 1.0,
        "Errors5xx": 0.0,
    }
    assert "ItemsOrdered" not in metrics_of(second)  # flushed with the first invocation, not repeated
    assert metrics_of(third)["Errors5xx"] == 1.0


def test_namespace_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "FromEnv")
    make_service(None).handler({"items": 1}, None)
    (doc,) = emf_lines(capsys.readouterr().out)
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "FromEnv"


@pytest.mark.parametrize(
    ("powertools", "pypwext", "option", "expected"),
    [
        (None, "FromPyPwExt", None, "FromPyPwExt"),  # PyPwExt's variable alone
        ("FromPowertools", "FromPyPwExt", None, "FromPowertools"),  # Powertools' first
        ("", "FromPyPwExt", None, "FromPyPwExt"),  # an empty value counts as unset
        ("FromPowertools", "FromPyPwExt", "FromOption", "FromOption"),  # the class option wins
    ],
)
def test_pypwexts_metrics_namespace_is_honoured_after_powertools(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    powertools: str | None,
    pypwext: str,
    option: str | None,
    expected: str,
) -> None:
    if powertools is None:
        monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    else:
        monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", powertools)
    monkeypatch.setenv("METRICS_NAMESPACE", pypwext)
    make_service(option).handler({"items": 1}, None)
    (doc,) = emf_lines(capsys.readouterr().out)
    check_emf(doc)
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == expected


def test_no_namespace_no_metrics(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    monkeypatch.delenv("METRICS_NAMESPACE", raising=False)
    Orders = make_service(None)
    Orders.handler({"items": 1}, None)
    Orders.handler({"items": 1}, None)
    assert emf_lines(capsys.readouterr().out) == []
    assert not Orders().metrics.enabled
    assert not Orders().metrics.provider.metric_set  # what the service added was forgotten


def test_metrics_flush_even_when_the_adapter_fails(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken(BaseService):
        service = f"metrics-{next(_names)}"
        metrics_namespace = "Shop"

        def execute(self, request: Request) -> None:
            return None

    import pypwext.runtime._service as service_module

    def failing(*args: Any) -> Any:
        raise RuntimeError("adapter bug")

    original = service_module.to_source
    service_module.to_source = failing  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            Broken.handler({}, None)
    finally:
        service_module.to_source = original
    (doc,) = emf_lines(capsys.readouterr().out)
    assert metrics_of(doc)["Errors5xx"] == 1.0
