"""A bare handler: the json module and hand-written checks, nothing else."""

import json

from stacks._manual import check_order

EVENTS = ("rest", "http")
_JSON = {"Content-Type": "application/json"}


def handler(event, context):
    order, problems = check_order(event.get("body"))
    if problems:
        return {"statusCode": 400, "headers": _JSON, "body": json.dumps({"problems": problems})}
    total = sum(item["quantity"] for item in order["items"])
    if total > 1000:
        return {"statusCode": 422, "headers": _JSON, "body": json.dumps({"total": total})}
    return {
        "statusCode": 201,
        "headers": _JSON,
        "body": json.dumps({"id": order["id"], "total_quantity": total}),
    }
