"""Tests of the event-driven examples, on real samples and factory events, failures injected."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from examples.events import audit, clicks, imports, payments, shipping
from examples.events.daily_report import DailyReport, Report
from pypwext.testing import (
    dynamodb_stream_event,
    eventbridge_event,
    kinesis_event,
    lambda_context,
    s3_event,
    scheduled_event,
    sqs_event,
)
from tests.integration.conftest import aws_env, moto_server  # noqa: F401  (fixtures)


def sample(name: str) -> Any:
    default = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "aws-events"
    path = Path(os.environ.get("PYPWEXT_AWS_EVENTS", default)) / name
    return json.loads(path.read_text(encoding="utf-8"))


def reported(answer: dict[str, Any]) -> list[str]:
    return [f["itemIdentifier"] for f in answer["batchItemFailures"]]


def test_payments_report_only_declined_and_invalid_messages():
    event = sqs_event(
        [
            {"order_id": 1, "amount_cents": 500, "card": "4111"},
            {"order_id": 2, "amount_cents": 500, "card": "0000"},  # declined
            {"order_id": 3, "amount_cents": 0, "card": "4111"},  # invalid
            {"order_id": 4, "amount_cents": 900, "card": "4111"},
        ]
    )
    ids = [r["messageId"] for r in event["Records"]]
    answer = payments.ChargePaymentsNoStore.handler(event, lambda_context())
    assert reported(answer) == [ids[1], ids[2]]


def test_payments_on_the_real_sample_report_both_non_payment_messages():
    event = sample("sqsEvent.json")
    answer = payments.ChargePaymentsNoStore.handler(event, lambda_context())
    assert reported(answer) == [r["messageId"] for r in event["Records"]]


def test_clicks_on_the_real_sample_and_json_clicks():
    clicks.COUNTS.clear()
    real = sample("kinesisStreamEvent.json")  # plain text: not clicks
    assert reported(clicks.CountClicks.handler(real, lambda_context())) == [
        r["kinesis"]["sequenceNumber"] for r in real["Records"]
    ]
    event = kinesis_event([{"page": "/", "user": "a"}, {"page": "/"}, {"page": "/cart", "user": "b"}])
    answer = clicks.CountClicks.handler(event, lambda_context())
    assert reported(answer) == [event["Records"][1]["kinesis"]["sequenceNumber"]]
    assert clicks.COUNTS == {"/": 1, "/cart": 1}


def test_audit_on_the_real_sample_and_a_removal():
    audit.AUDIT.clear()
    assert audit.AuditOrders.handler(sample("dynamoStreamEvent.json"), lambda_context()) == {
        "batchItemFailures": []
    }
    removal = dynamodb_stream_event([{"id": 7, "status": "cancelled"}], event_name="REMOVE")
    audit.AuditOrders.handler(removal, lambda_context())
    assert [a[0] for a in audit.AUDIT] == ["INSERT", "MODIFY", "REMOVE"]
    assert audit.AUDIT[-1] == ("REMOVE", 7, "cancelled")


def test_shipping_raises_for_a_bad_order_and_ignores_other_events():
    shipping.SHIPMENTS.clear()
    ok = eventbridge_event(
        {"order_id": 1, "items": ["book"]}, source="shop.orders", detail_type="Order Placed"
    )
    bad = eventbridge_event({"order_id": 2, "items": []}, source="shop.orders", detail_type="Order Placed")
    assert shipping.ShipOrder.handler(ok, lambda_context()) == {"shipped": 1}
    with pytest.raises(ValueError, match="no items"):
        shipping.ShipOrder.handler(bad, lambda_context())
    assert shipping.ShipOrder.handler(sample("eventBridgeEvent.json"), lambda_context()) is None
    assert shipping.SHIPMENTS == [1]


@pytest.mark.integration
def test_imports_reads_a_csv_from_s3(aws_env):  # noqa: F811
    imports.PRICES.clear()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="prices", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="prices", Key="2024/prices.csv", Body=b"sku,cents\nA,100\nB,-5\nC,x\nD,250\n")
    # the S3 client is built once per container; a test hands this one (pointed at moto) in
    answer = imports.ImportPrices(s3=s3)(s3_event("prices", "2024/prices.csv"), lambda_context())
    assert answer["objects"][0]["failed_lines"] == [3, 4]
    assert imports.PRICES == {"A": 100, "D": 250}


class _Webhook(BaseHTTPRequestHandler):
    received: list[Any] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Webhook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Webhook.received = []
    monkeypatch.setenv("REPORT_WEBHOOK_HOST", f"127.0.0.1:{server.server_port}")
    yield _Webhook.received
    server.shutdown()
    server.server_close()


@pytest.mark.integration
def test_daily_report_queries_dynamodb_and_posts_to_the_webhook(aws_env, webhook, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ORDERS_TABLE", "orders")
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "day", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-day",
                "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n, (day, cents) in enumerate([("2024-05-01", 1000), ("2024-05-01", 250), ("2024-05-02", 999)]):
        ddb.put_item(
            TableName="orders",
            Item={"id": {"S": f"o-{n}"}, "day": {"S": day}, "total_cents": {"N": str(cents)}},
        )
    from datetime import datetime, timezone

    event = scheduled_event("daily-report", time_=datetime(2024, 5, 2, 6, 0, tzinfo=timezone.utc))
    answer = DailyReport.handler(event, lambda_context())
    assert answer == {"day": "2024-05-01", "orders": 2, "total_cents": 1250}
    assert webhook == [{"text": "2024-05-01: 2 orders, 12.50 EUR"}]
    assert DailyReport().execute  # the class is also usable by hand
    assert Report("d", 0, 0).orders == 0
