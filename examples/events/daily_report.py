"""A schedule (``cron(0 6 * * ? *)``): count yesterday's orders in DynamoDB and post the report
to a chat webhook -- seed 002's daily report, as a class."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import attrs

from pypwext.dependencies import Dependency, Http
from pypwext.kinds._eventbridge import EventBridgeEvent, ScheduledService


class OrdersTable(Dependency[Any]):
    """The orders table (boto3 is imported on first use)."""

    def build(self) -> Any:
        import boto3

        return boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


@attrs.frozen
class Report:
    day: str
    orders: int
    total_cents: int


class DailyReport(ScheduledService):
    orders = OrdersTable()
    webhook = Http("http://{REPORT_WEBHOOK_HOST}/hooks/daily-report", timeout=5.0, retries=2)

    def execute(self, event: EventBridgeEvent) -> Report:
        day = (date.fromisoformat(event.time[:10]) - timedelta(days=1)).isoformat()
        from boto3.dynamodb.conditions import Key

        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"IndexName": "by-day", "KeyConditionExpression": Key("day").eq(day)}
        while True:
            page = self.orders.query(**query)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        report = Report(day, len(items), sum(int(i["total_cents"]) for i in items))
        self.webhook.post(
            {"text": f"{report.day}: {report.orders} orders, {report.total_cents / 100:.2f} EUR"}
        )
        return report


handler = DailyReport.handler
