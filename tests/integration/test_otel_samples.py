"""Every real AWS event sample, traced: the answer is the untraced one, there is one root span
of the right kind, and secrets planted in the request reach no span (hypothesis plants them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypwext import BaseService, InfoClassification
from pypwext.observability import _otel
from pypwext.testing import api_gateway_event, lambda_context
from tests._support import aws_samples
from tests.integration.otlp_receiver import OtlpReceiver


class Echo(BaseService):
    operation = "echo"

    def execute(self, data: Any) -> str:
        return "seen"


class Private(BaseService):
    operation = "private"
    classification = InfoClassification.AUTHORIZATION_INFO

    def execute(self, data: Any) -> str:
        raise ValueError(f"refused {data}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.fixture
def traced(receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    _otel.reset()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    receiver.received.clear()
    yield receiver
    _otel.reset()


def test_every_real_sample_is_traced_without_changing_the_answer(
    traced: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_sources = ("apigateway", "alb", "lambdafunctionurl", "vpclattice")
    for name in aws_samples.names():
        event = aws_samples.sample(name)
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
        untraced = Echo.handler(aws_samples.sample(name), lambda_context())
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        before = len(traced.spans())
        answer = Echo.handler(event, lambda_context())
        assert _stable(answer) == _stable(untraced), name
        spans = traced.spans()[before:]
        roots = [s for s in spans if s.parent_id == ""]
        assert [s.name for s in roots] == ["echo"], name
        assert roots[0].kind in ("SERVER", "CONSUMER"), name
        if roots[0].attributes["faas.trigger"] == "http":
            assert name.lower().startswith(http_sources) and roots[0].kind == "SERVER", name
        if "messaging.system" in roots[0].attributes:
            assert roots[0].kind == "CONSUMER", name


def _stable(answer: Any) -> Any:
    """The answer without what differs per invocation (request ids in the errors)."""
    return json.loads(json.dumps(answer, default=str))


_secret = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=24).map(
    lambda s: "S3" + s
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=_secret)
def test_planted_secrets_reach_no_span(traced: OtlpReceiver, secret: str) -> None:
    event = api_gateway_event(
        "POST",
        f"/tokens/{secret}",
        body={"token": secret},
        headers={"Authorization": f"Bearer {secret}", "X-Api-Key": secret},
        query={"token": secret},
        version="2.0",
    )
    before = len(traced.spans())
    answer = Private.handler(event, lambda_context())
    assert answer["statusCode"] == 500
    spans = traced.spans()[before:]
    assert {s.name for s in spans} >= {"private", "private.execute"}
    text = json.dumps([[s.name, s.attributes, s.events, s.resource] for s in spans])
    assert secret not in text
    assert "exception.message" in text  # the error is there, masked


_header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(traceparent=_header_text, tracestate=_header_text, aws_header=_header_text)
def test_hostile_trace_context_never_costs_the_invocation(
    traced: OtlpReceiver, traceparent: str, tracestate: str, aws_header: str
) -> None:
    from pypwext.kinds._batch import SqsBatchService
    from pypwext.testing import sqs_event

    class Count(SqsBatchService):
        operation = "count"

        def process_record(self, record: Any) -> None:
            pass

    http = api_gateway_event(
        "GET", "/", headers={"traceparent": traceparent, "tracestate": tracestate}, version="2.0"
    )
    assert Echo.handler(http, lambda_context())["statusCode"] == 200
    event = sqs_event([1, 2], attributes={"traceparent": {"stringValue": traceparent, "dataType": "String"}})
    event["Records"][1]["attributes"]["AWSTraceHeader"] = aws_header
    assert Count.handler(event, lambda_context()) == {"batchItemFailures": []}
