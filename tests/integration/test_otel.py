"""OpenTelemetry traces a service exports itself, read by a real OTLP/HTTP receiver on 127.0.0.1
(tests/integration/otlp_receiver.py decodes the protobuf requests with opentelemetry-proto)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pypwext import BaseService, Http, InfoClassification, NotFound, step
from pypwext.kinds._batch import SqsBatchService
from pypwext.observability import _otel
from pypwext.testing import api_gateway_event, lambda_context, sqs_event
from tests._support.logs import json_lines
from tests.integration.otlp_receiver import Downstream, OtlpReceiver, Span

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
SECRET = "ada@example.com"


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A receiver, and the environment that sends a service's traces to it."""
    _otel.reset()
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
        monkeypatch.setenv("AWS_REGION", "eu-west-1")
        yield receiver
    _otel.reset()


def by_name(spans: list[Span]) -> dict[str, Span]:
    return {s.name: s for s in spans}


def everything(spans: list[Span]) -> str:
    """Every attribute and event value of every span, as one text to grep."""
    return json.dumps([[s.name, s.attributes, s.events, s.resource] for s in spans], default=str)


def test_http_invocation_server_step_and_client_spans(otel: OtlpReceiver) -> None:
    down = Downstream()
    try:

        class Orders(BaseService):
            service = "orders"
            operation = "get-order"
            stock = Http(down.url + "/stock/{sku}")

            def execute(self, request: Any) -> dict[str, Any]:
                return {"stock": self.check("x-1")}

            @step
            def check(self, sku: str) -> Any:
                return self.stock.call(sku=sku, query={"api_key": "k-123", "page": "2"})

        answer = Orders.handler(
            api_gateway_event("GET", "/orders/7", version="2.0"), lambda_context("orders-fn")
        )
    finally:
        down.close()
    assert answer["statusCode"] == 200
    spans = by_name(otel.spans())
    server, execute, check, client = (
        spans["get-order"],
        spans["get-order.execute"],
        spans["get-order.check"],
        spans["stock GET"],
    )
    assert server.kind == "SERVER" and server.parent_id == ""
    assert server.attributes["http.request.method"] == "GET" and server.attributes["url.path"] == "/orders/7"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["faas.trigger"] == "http" and isinstance(
        server.attributes["faas.coldstart"], bool
    )
    assert server.attributes["cloud.region"] == "eu-west-1"
    assert server.attributes["aws.lambda.invoked_arn"].endswith(":function:orders-fn")
    assert server.attributes["faas.invocation_id"]
    assert server.resource["service.name"] == "orders" and server.resource["cloud.provider"] == "aws"
    assert {s.trace_id for s in spans.values()} == {server.trace_id}
    assert execute.parent_id == server.span_id and execute.kind == "INTERNAL"
    assert check.parent_id == execute.span_id and client.parent_id == check.span_id
    assert client.kind == "CLIENT" and client.attributes["http.request.method"] == "GET"
    assert client.attributes["http.response.status_code"] == 200
    assert client.attributes["url.full"] == f"{down.url}/stock/x-1?api_key=REDACTED&page=2"
    assert client.attributes["server.address"] == "127.0.0.1"
    sent = down.headers[0]
    version, trace_id, parent_id, flags = sent["traceparent"].split("-")
    assert (version, trace_id, parent_id) == ("00", client.trace_id, client.span_id)
    assert int(flags, 16) & 1  # sampled
    tid = client.trace_id
    assert sent["x-amzn-trace-id"] == f"Root=1-{tid[:8]}-{tid[8:]};Parent={client.span_id};Sampled=1"
    assert "k-123" not in everything(otel.spans())


def test_two_services_over_loopback_make_one_trace(otel: OtlpReceiver) -> None:
    class Inventory(BaseService):
        service = "inventory"
        operation = "count"

        def execute(self, request: Any) -> dict[str, int]:
            return {"count": 3}

    down = Downstream(Inventory)
    try:

        class Front(BaseService):
            service = "front"
            operation = "show"
            inventory = Http(down.url + "/count")

            def execute(self, request: Any) -> Any:
                return self.inventory.call()

        answer = Front.handler(api_gateway_event("GET", "/", version="2.0"), lambda_context("front-fn"))
    finally:
        down.close()
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"count": 3}
    spans = by_name(otel.spans())
    client, remote = spans["inventory GET"], spans["count"]
    assert remote.kind == "SERVER" and remote.parent_id == client.span_id
    assert len({s.trace_id for s in otel.spans()}) == 1
    assert spans["show"].parent_id == "" and spans["count.execute"].parent_id == remote.span_id


def test_the_lambda_trace_header_becomes_the_parent(
    otel: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    Ping.handler({"a": 1}, lambda_context())
    server = by_name(otel.spans())["ping"]
    assert server.trace_id == "5759e988bd862e3fe1be46a994272793" and server.parent_id == "53995c3f42cd8ad8"
    assert server.kind == "SERVER" and server.attributes["faas.trigger"] == "other"
    # Lambda did not sample this one (active tracing off): a trace of its own, still exported
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0")
    Ping.handler({"a": 1}, lambda_context())
    second = [s for s in otel.spans() if s.name == "ping"][1]
    assert second.parent_id == "" and second.trace_id != server.trace_id


def test_errors_are_recorded_once_and_masked(otel: OtlpReceiver) -> None:
    class Private(BaseService):
        service = "private"
        operation = "mail"
        classification = InfoClassification.PII

        def execute(self, data: dict[str, str]) -> None:
            raise ValueError("cannot mail " + data["email"])

    class Shop(BaseService):
        operation = "buy"

        def execute(self, data: Any) -> None:
            raise NotFound("no such item")

    assert Private.handler({"email": SECRET}, lambda_context())["statusCode"] == 500
    assert Shop.handler({}, lambda_context())["statusCode"] == 404
    spans = by_name(otel.spans())
    failed = spans["mail.execute"]
    [(name, attrs)] = failed.events
    assert name == "exception" and attrs["exception.type"] == "ValueError"
    assert attrs["exception.message"] == "*** redacted (PII) ***" and failed.status == 2
    assert spans["mail"].events == [] and spans["mail"].status == 2  # recorded once: where it was raised
    assert SECRET not in everything(otel.spans())
    missing = spans["buy.execute"]
    assert missing.events[0][1]["exception.message"] == "no such item"
    assert spans["buy"].status != 2  # a 4xx answer is not a server error


def test_pii_service_masks_the_client_url(otel: OtlpReceiver) -> None:
    down = Downstream()
    try:

        class Lookup(BaseService):
            operation = "lookup"
            classification = InfoClassification.PII
            people = Http(down.url + "/people/{email}")

            def execute(self, data: Any) -> Any:
                return self.people.call(email=SECRET, query={"q": SECRET})

        assert Lookup.handler({}, lambda_context())["statusCode"] == 200
    finally:
        down.close()
    client = by_name(otel.spans())["people GET"]
    assert client.attributes["url.full"] == f"{down.url}/people/{{email}}?q=REDACTED"
    assert SECRET not in everything(otel.spans()) and "ada%40example.com" not in everything(otel.spans())


def test_a_batch_is_a_consumer_span_with_messaging_attributes(otel: OtlpReceiver) -> None:
    class Orders(SqsBatchService):
        operation = "take-orders"

        def process_record(self, record: dict[str, int]) -> None:
            if record["n"] == 2:
                raise ValueError("bad record")

    answer = Orders.handler(sqs_event([{"n": 1}, {"n": 2}], queue="orders-q"), lambda_context())
    assert len(answer["batchItemFailures"]) == 1
    spans = otel.spans()
    [server] = [s for s in spans if s.name == "take-orders"]
    assert server.kind == "CONSUMER" and server.attributes["faas.trigger"] == "pubsub"
    assert server.attributes["messaging.system"] == "aws_sqs"
    assert server.attributes["messaging.batch.message_count"] == 2
    assert server.attributes["messaging.destination.name"] == "orders-q"
    records = [s for s in spans if s.name == "take-orders.process_record"]
    assert len(records) == 2 and all(s.parent_id == server.span_id for s in records)
    assert sorted(s.status for s in records) == [0, 2]


def test_off_unless_asked(otel: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    class Quiet(BaseService):
        operation = "quiet"
        tracing = False

        def execute(self, data: Any) -> Any:
            return data

    class Loud(BaseService):
        operation = "loud"

        def execute(self, data: Any) -> Any:
            return data

    Quiet.handler({}, lambda_context())
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    Loud.handler({}, lambda_context())
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    Loud.handler({}, lambda_context())
    assert otel.received == []
    monkeypatch.delenv("OTEL_SDK_DISABLED")
    Loud.handler({}, lambda_context())
    assert [s.name for s in otel.spans() if s.kind == "SERVER"] == ["loud"]


def test_otel_variables_mean_what_they_mean(
    otel: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,team=shop")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
    capsys.readouterr()
    Ping.handler({}, lambda_context())
    Ping.handler({}, lambda_context())
    warnings = [e for e in json_lines(capsys.readouterr().out) if e.get("level") == "WARNING"]
    assert [w["message"] for w in warnings] == [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc is not supported: pypwext exports OTLP over http/protobuf"
    ]
    assert len(otel.received) == 2 and otel.received[0].headers["x-tenant"] == "acme"
    resource = otel.spans()[0].resource
    assert resource["service.name"] == "checkout" and resource["deployment.environment.name"] == "staging"
    assert resource["team"] == "shop"
    _otel.reset()
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    Ping.handler({}, lambda_context())
    assert len(otel.received) == 2  # nothing sampled: nothing sent


def test_lambda_invokes_carry_the_trace_context(otel: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypwext import LambdaFunction

    lam = Downstream()  # stands in for the Lambda Invoke API and records what it receives
    for name, value in {
        "AWS_ENDPOINT_URL_LAMBDA": lam.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    try:

        class Checkout(BaseService):
            operation = "checkout"
            billing = LambdaFunction("billing")

            def execute(self, data: Any) -> Any:
                return self.billing.invoke({"order": 7})

        assert Checkout.handler({}, lambda_context())["statusCode"] == 200
    finally:
        lam.close()
    client = by_name(otel.spans())["billing RequestResponse"]
    assert client.kind == "CLIENT" and client.attributes["rpc.service"] == "Lambda"
    assert client.attributes["faas.invoked_name"] == "billing"
    assert client.attributes["faas.invoked_region"] == "eu-west-1"
    [sent] = lam.headers
    tid = client.trace_id
    assert sent["x-amzn-trace-id"] == f"Root=1-{tid[:8]}-{tid[8:]};Parent={client.span_id};Sampled=1"
    assert sent["traceparent"].split("-")[1:3] == [client.trace_id, client.span_id]

    # Lambda hands the callee that header as its _X_AMZN_TRACE_ID: the callee joins the trace
    class Billing(BaseService):
        operation = "bill"

        def execute(self, data: Any) -> Any:
            return data

    monkeypatch.setenv("_X_AMZN_TRACE_ID", sent["x-amzn-trace-id"])
    Billing.handler({"order": 7}, lambda_context("billing"))
    callee = by_name(otel.spans())["bill"]
    assert (callee.trace_id, callee.parent_id) == (client.trace_id, client.span_id)


def test_batch_records_link_to_their_own_traces(otel: OtlpReceiver) -> None:
    class Orders(SqsBatchService):
        operation = "take"

        def process_record(self, record: dict[str, int]) -> None:
            pass

    w3c = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    event = sqs_event(
        [{"n": 1}, {"n": 2}, {"n": 3}],
        attributes={"traceparent": {"stringValue": w3c, "dataType": "String"}},
    )
    event["Records"][1]["messageAttributes"] = {}
    event["Records"][1]["attributes"]["AWSTraceHeader"] = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    event["Records"][2]["messageAttributes"] = {}
    event["Records"][2]["attributes"].pop("AWSTraceHeader", None)
    Orders.handler(event, lambda_context())
    spans = otel.spans()
    records = sorted(
        (s for s in spans if s.name == "take.process_record"),
        key=lambda s: s.attributes["messaging.message.id"],
    )
    ids = sorted(r["messageId"] for r in event["Records"])
    assert [s.attributes["messaging.message.id"] for s in records] == ids
    links = {s.name + ":" + str(s.attributes.get("messaging.message.id", "")): s.links for s in spans}
    expected = {
        "0af7651916cd43dd8448eb211c80319c": "b7ad6b7169203331",
        "5759e988bd862e3fe1be46a994272793": "53995c3f42cd8ad8",
    }
    assert sorted(links["take:"]) == sorted(expected.items())  # the batch's span links to both
    by_record = {r["messageId"]: i for i, r in enumerate(event["Records"])}
    for message_id, index in by_record.items():
        got_links = links[f"take.process_record:{message_id}"]
        assert got_links == ([list(expected.items())[index]] if index < 2 else [])


def test_a_failed_http_call_is_recorded_on_its_client_span(otel: OtlpReceiver) -> None:
    down = Downstream(status=503)
    try:

        class Front(BaseService):
            operation = "front"
            backend = Http(down.url + "/x", retries=0)

            def execute(self, data: Any) -> Any:
                return self.backend.call()

        assert Front.handler({}, lambda_context())["statusCode"] == 502
    finally:
        down.close()
    spans = by_name(otel.spans())
    client = spans["backend GET"]
    assert client.attributes["http.response.status_code"] == 503 and client.status == 2
    assert [name for name, _ in client.events] == ["exception"]
    assert spans["front.execute"].events == [] and spans["front"].status == 2


def test_spans_of_the_services_own_code_join_the_trace(otel: OtlpReceiver) -> None:
    # OpenTelemetry's global provider is set once per process: a fresh interpreter, as in Lambda
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, REPO)
        from opentelemetry import trace
        from pypwext import BaseService
        from pypwext.testing import lambda_context

        tracer = trace.get_tracer("mine")  # at import, before pypwext built its provider

        class Quote(BaseService):
            operation = "quote"

            def execute(self, data: dict[str, int]) -> dict[str, int]:
                with tracer.start_as_current_span("price-lookup"):
                    return {"price": data["qty"] * 3}

        assert Quote.handler({"qty": 2}, lambda_context())["statusCode"] == 200
        """
    ).replace("REPO", repr(str(Path(__file__).resolve().parents[2])))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=otel.endpoint)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    spans = by_name(otel.spans())
    assert spans["price-lookup"].parent_id == spans["quote.execute"].span_id
    assert spans["price-lookup"].trace_id == spans["quote"].trace_id
