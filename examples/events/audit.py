"""DynamoDB stream: audit every change of the orders table (inserts, updates and removals)."""

from __future__ import annotations

from pypwext.kinds._batch import DynamoDBChange, DynamoDBStreamBatchService

AUDIT: list[tuple[str, object, str | None]] = []  # stands for a real audit log


class AuditOrders(DynamoDBStreamBatchService):
    def process_record(self, change: DynamoDBChange) -> None:
        image = change.new_image or change.old_image or {}
        AUDIT.append((change.event_name, change.keys.get("id"), image.get("status")))


handler = AuditOrders.handler
