"""Tests of the customers example: what it answers, and that its logs never show personal data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from examples.customers.app import Customer, Subscribe, Subscription, handler
from pypwext import BadRequest
from pypwext.testing import api_gateway_event, invoke, lambda_context

ADA = {"id": 7, "name": "Ada Lovelace", "email": "ada@example.com", "tier": "gold"}
BLOCKED = {"id": 8, "name": "Bob Blocked", "email": "bob@blocked.example"}
PII_VALUES = (
    "Ada Lovelace",
    "ada@example.com",
    "Bob Blocked",
    "bob@blocked.example",
    "Carol Nomail",
    "carol-at-nowhere",
)
SECRETS = ("Bearer s3cret-token", "session-cookie-value")


def printed(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_subscribe_answers_201() -> None:
    result = invoke(handler, api_gateway_event("POST", "/customers", body=ADA), lambda_context())
    assert result.status == 201
    assert result.json == {
        "customer_id": 7,
        "email": "ada@example.com",
        "plan": "newsletter",
        "welcome_sent": True,
    }


def test_blocked_address_is_collected_not_fatal() -> None:
    result = invoke(handler, api_gateway_event("POST", "/customers", body=BLOCKED), lambda_context())
    assert result.status == 201 and result.json is not None and result.json["welcome_sent"] is False
    assert result.errors[0]["code"] == 422 and result.errors[0]["classification"] == "PII"


def test_validate_refuses_a_bad_email() -> None:
    with pytest.raises(BadRequest):
        Subscribe().validate(Customer(1, "x", "no-at-sign"))
    assert Subscribe().execute(Customer(1, "x", "x@example.com")) == Subscription(
        1, "x@example.com", "newsletter", True
    )


def test_no_log_line_shows_personal_data_or_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every entry on (DEBUG), every path (success, collected error, 400, unexpected error):
    grep every printed line for the personal values and credentials sent."""
    Subscribe().logger.setLevel("DEBUG")
    headers = {"Authorization": "Bearer s3cret-token", "x-correlation-id": "corr-42"}
    cookies = {"session": "session-cookie-value"}
    try:
        for body in (ADA, BLOCKED, {"id": 9, "name": "Carol Nomail", "email": "carol-at-nowhere"}):
            handler(
                api_gateway_event("POST", "/customers", body=body, headers=headers, cookies=cookies),
                lambda_context(),
            )
        with monkeypatch.context() as m:
            m.setattr(Subscribe, "send_welcome", lambda self, email: 1 / 0)
            handler(api_gateway_event("POST", "/customers", body=ADA, headers=headers), lambda_context())
    finally:
        Subscribe().logger.setLevel("INFO")
    out = capsys.readouterr().out
    lines = printed(out)
    assert len(lines) > 20
    for value in PII_VALUES + SECRETS:
        assert value not in out, value
    logs = [line for line in lines if "_aws" not in line]
    assert {line["correlation_id"] for line in logs} == {"corr-42"}
    audits = [
        line for line in logs if line["message"].__class__ is str and line["location"].endswith("Subscribe")
    ]
    assert [(a["type"], a["status"], a["errors"]) for a in audits] == [
        ("AUDIT", 201, []),
        ("AUDIT", 201, [422]),
        ("AUDIT", 400, [400]),
        ("AUDIT", 500, [500]),
    ]
    assert len([line for line in logs if line["level"] == "ERROR"]) == 1
    metrics = [line for line in lines if "_aws" in line]
    assert len(metrics) == 4 and metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Customers"
    assert [m.get("Subscriptions") for m in metrics] == [[1.0], [1.0], None, None]
