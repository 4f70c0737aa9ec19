"""What pypwext's logging, metrics and tracing cost per invocation, and its formatter per line.

Run from the repository root::

    .venv/bin/python benchmarks/observability.py            # ~20 s
    .venv/bin/python benchmarks/observability.py --quick    # fewer rounds

It times, in-process after a warm-up, the example order service (examples/orders) on a real
API Gateway REST event with its default logging at INFO (one summary line), with logging off
(level CRITICAL), with every entry on (DEBUG), with metrics on (one EMF line), with tracing set
to False (the default outside a sampled Lambda invocation is off too), beside a bare handler
that parses the body, sums the quantities and writes one Powertools ``Logger.info`` line.
Then one log line through Powertools' default ``LambdaPowertoolsFormatter`` versus
:class:`pypwext.observability.logging._formatter.ServiceFormatter` on the same record. Output goes to /dev/null.
Best of several interleaved rounds, in microseconds per call.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aws_lambda_powertools import Logger  # noqa: E402
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter  # noqa: E402

from examples.orders.app import CreateOrder  # noqa: E402
from pypwext.observability.logging._formatter import ServiceFormatter  # noqa: E402
from pypwext.testing import api_gateway_event, lambda_context  # noqa: E402

ORDER = {"id": 1, "description": "books", "items": [{"id": 7, "quantity": 2, "description": "SICP"}]}


def timed_all(
    cases: list[tuple[str, Callable[[], Any]]], number: int, rounds: int
) -> list[tuple[str, float]]:
    """Best µs per call of each case over ``rounds`` rounds of ``number`` calls, the cases
    interleaved (A B C ... A B C ...) so that a noisy neighbour hurts them alike; the best round
    is the one least disturbed (timeit's rule)."""
    for _, fn in cases:
        for _ in range(max(50, number // 10)):
            fn()
    samples: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _ in range(rounds):
        for label, fn in cases:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[label].append((time.perf_counter() - start) / number * 1e6)
    return [(label, min(samples[label])) for label, _ in cases]


def variant(name: str, **options: Any) -> type[CreateOrder]:
    return type(name, (CreateOrder,), {"service": name.lower(), **options})  # type: ignore[return-value]


def main() -> None:
    quick = "--quick" in sys.argv
    number, rounds = (500, 5) if quick else (2000, 9)
    event = api_gateway_event("POST", "/orders", body=ORDER)
    context = lambda_context("orders")
    devnull = open(os.devnull, "w")  # noqa: SIM115
    real_stdout = sys.stdout

    bare_logger = Logger(service="bare-orders", stream=devnull)

    def bare(event: dict[str, Any], context: Any) -> dict[str, Any]:
        order = json.loads(event["body"])
        total = sum(item["quantity"] for item in order["items"])
        bare_logger.info("order created", extra={"order_id": order["id"]})
        return {"statusCode": 201, "body": json.dumps({"id": order["id"], "total_quantity": total})}

    default = variant("Default")
    silent = variant("Silent")
    chatty = variant("Chatty")
    metered = variant("Metered", metrics_namespace="Bench")
    untraced = variant("Untraced", tracing=False)
    sys.stdout = devnull
    try:
        for cls in (default, silent, chatty, metered, untraced):  # correct before timed
            assert cls.handler(event, context)["statusCode"] == 201
        assert bare(event, context)["statusCode"] == 201
    finally:
        sys.stdout = real_stdout
    silent().logger.setLevel(logging.CRITICAL)
    chatty().logger.setLevel(logging.DEBUG)

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("bare handler + one Powertools Logger.info line", lambda: bare(event, context))
    ]
    for label, cls in (
        ("pypwext orders, logging at INFO (default: one summary line)", default),
        ("pypwext orders, logging off (CRITICAL)", silent),
        ("pypwext orders, every entry on (DEBUG: 9 lines)", chatty),
        ("pypwext orders, INFO + metrics on (one EMF line)", metered),
        ("pypwext orders, INFO + tracing = False", untraced),
    ):
        cases.append((label, lambda cls=cls: cls.handler(event, context)))
    sys.stdout = devnull
    try:
        rows = timed_all(cases, number, rounds)
    finally:
        sys.stdout = real_stdout

    record = logging.LogRecord("orders", logging.INFO, __file__, 10, "POST /orders -> 201", (), None)
    record.funcName = "handler"
    fields = {
        "classification": "NA", "type": "STD", "operation": "create-order", "source": "rest", "method": "POST",
        "path": "/orders", "status": 201, "duration_ms": 0.123, "errors": [], "cold_start": False,
        "function_name": "orders", "function_request_id": "3f0e...", "correlation_id": "c-1",
    }  # fmt: skip
    for key, value in fields.items():
        setattr(record, key, value)
    theirs = LambdaPowertoolsFormatter(service="orders")
    ours = ServiceFormatter(service="orders")
    per_line = timed_all(
        [
            ("formatter: Powertools LambdaPowertoolsFormatter, one line", lambda: theirs.format(record)),
            ("formatter: pypwext ServiceFormatter, one line", lambda: ours.format(record)),
        ],
        number * 5,
        rounds,
    )

    width = max(len(label) for label, _ in rows + per_line)
    base = rows[0][1]
    print(f"{'per invocation':<{width}}  {'µs':>8}  {'x bare':>7}")
    for label, value in rows:
        print(f"{label:<{width}}  {value:8.1f}  {value / base:7.2f}")
    print()
    print(f"{'per log line':<{width}}  {'µs':>8}")
    for label, value in per_line:
        print(f"{label:<{width}}  {value:8.1f}")
    print(f"\nServiceFormatter is {per_line[0][1] / per_line[1][1]:.1f}x faster per line")
    print(f"logging at INFO costs {rows[1][1] - rows[2][1]:.1f} µs per invocation over logging off")
    print(f"metrics cost {rows[4][1] - rows[1][1]:.1f} µs per invocation")
    print(f"Python {sys.version.split()[0]} on {sys.platform}")


if __name__ == "__main__":
    main()
