"""The bare handler plus Powertools' Logger, one INFO line per invocation."""

import json

from aws_lambda_powertools import Logger

from stacks._manual import check_order

EVENTS = ("rest", "http")
_JSON = {"Content-Type": "application/json"}
logger = Logger(service="orders")


def handler(event, context):
    order, problems = check_order(event.get("body"))
    if problems:
        logger.info("invalid order", extra={"status": 400})
        return {"statusCode": 400, "headers": _JSON, "body": json.dumps({"problems": problems})}
    total = sum(item["quantity"] for item in order["items"])
    if total > 1000:
        logger.info("too many items", extra={"status": 422})
        return {"statusCode": 422, "headers": _JSON, "body": json.dumps({"total": total})}
    logger.info("order created", extra={"status": 201, "order": order["id"]})
    return {
        "statusCode": 201,
        "headers": _JSON,
        "body": json.dumps({"id": order["id"], "total_quantity": total}),
    }
