"""The events and bodies every stack is benchmarked with.

The events are the real API Gateway samples in ``fixtures/aws-events`` (found through
``PYPWEXT_AWS_EVENTS``, default ``../shared/fixtures/aws-events`` relative to the repository),
read in place, turned into ``POST /orders`` with the order as the body.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

GOOD_ORDER: dict[str, Any] = {
    "id": 1,
    "description": "first order",
    "items": [
        {"id": 1, "quantity": 2, "description": "widget"},
        {"id": 2, "quantity": 1, "description": "gadget"},
    ],
}
GOOD_ANSWER = {"id": 1, "total_quantity": 3}
"""What every stack answers to ``GOOD_ORDER``, with status 201."""

BAD_BODIES: dict[str, tuple[str, str | None]] = {
    # name: (body text, a field name the 4xx body must mention, or None)
    "wrong types": (
        json.dumps({"id": "one", "description": "bad order", "items": [{"id": 1, "quantity": "two"}]}),
        "quantity",
    ),
    "missing items": (json.dumps({"id": 1, "description": "no items"}), "items"),
    "items not a list": (json.dumps({"id": 1, "description": "x", "items": {"id": 1}}), "items"),
    "not an object": (json.dumps([1, 2]), None),
    "malformed JSON": ('{"id": 1, "description": ', None),
    "empty items": (json.dumps({"id": 1, "description": "x", "items": []}), None),
    "zero quantity": (
        json.dumps({"id": 1, "description": "x", "items": [{"id": 1, "quantity": 0, "description": "y"}]}),
        None,
    ),
}
"""Bodies every stack must refuse with a 4xx."""


def events_dir() -> Path:
    folder = Path(os.environ.get("PYPWEXT_AWS_EVENTS") or REPO.parent / "shared" / "fixtures" / "aws-events")
    if not (folder / "apiGatewayProxyEvent.json").is_file():
        raise SystemExit(
            f"AWS event samples not found in {folder}: point PYPWEXT_AWS_EVENTS at shared/fixtures/aws-events"
        )
    return folder


def _load(name: str) -> dict[str, Any]:
    with open(events_dir() / name, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def rest_event(body: str) -> dict[str, Any]:
    """API Gateway REST (payload 1.0) ``POST /orders`` with ``body``."""
    event = copy.deepcopy(_load("apiGatewayProxyEvent.json"))
    event.update(resource="/orders", path="/orders", httpMethod="POST", body=body, isBase64Encoded=False)
    event["headers"] = {**event["headers"], "Content-Type": "application/json"}
    event["multiValueHeaders"] = {**event["multiValueHeaders"], "Content-Type": ["application/json"]}
    ctx = event["requestContext"]
    ctx.update(httpMethod="POST", path="/orders", resourcePath="/orders")
    return event


def http_event(body: str) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) ``POST /orders`` with ``body``."""
    event = copy.deepcopy(_load("apiGatewayProxyV2Event.json"))
    event.update(routeKey="POST /orders", rawPath="/orders", body=body, isBase64Encoded=False)
    event["headers"] = {**event["headers"], "content-type": "application/json"}
    event.pop("pathParameters", None)
    ctx = event["requestContext"]
    ctx["routeKey"] = "POST /orders"
    ctx["http"] = {**ctx["http"], "method": "POST", "path": "/orders"}
    return event


EVENT_KINDS = {"rest": rest_event, "http": http_event}
