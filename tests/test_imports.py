"""What importing pypwext costs a cold start, checked in a fresh interpreter (issue 8).

These tests count modules, they time nothing: speed is measured by ``make bench``
(docs/performance.md), never by a test.
"""

from __future__ import annotations

from pathlib import Path

from tests._support import aws_samples
from tests._support.fresh import fresh_python

REPO = Path(__file__).resolve().parent.parent

HEAVY = ("boto3", "botocore", "requests", "urllib3", "pydantic")
"""Packages a service that does not use them must not pay for at import."""

EXAMPLE_MODULE_BUDGET = 120
"""Modules that importing examples/orders/app.py may add to a bare interpreter's sys.modules.

docs/performance.md records the count this budget was set from; raise it only with a reason
written there."""


def _fresh(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh, isolated interpreter with the repository first on sys.path;
    ``code`` sets ``out``, which comes back decoded from JSON."""
    program = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        f"{code}\n"
        "print(json.dumps(out))\n"
    )
    result: dict[str, object] = fresh_python(program)[0]
    return result


def test_import_pypwext_imports_nothing_heavy() -> None:
    out = _fresh("import pypwext\nout = {'loaded': sorted(sys.modules)}")
    loaded = out["loaded"]
    assert isinstance(loaded, list)
    heavy = sorted(name for name in loaded if name.split(".")[0] in HEAVY)
    assert heavy == [], f"`import pypwext` imports {heavy}: import them where they are used, lazily"


def test_example_service_stays_within_its_module_budget() -> None:
    out = _fresh(
        "import examples.orders.app\n"
        "added = sorted(set(sys.modules) - before)\n"
        "out = {'added': added, 'count': len(added)}"
    )
    count = out["count"]
    assert isinstance(count, int)
    assert count <= EXAMPLE_MODULE_BUDGET, (
        f"importing examples/orders/app.py adds {count} modules to sys.modules, over the budget of "
        f"{EXAMPLE_MODULE_BUDGET} (docs/performance.md): {out['added']}"
    )


NOT_ON_THE_COLD_PATH = (
    "uuid",  # only for a fresh correlation id when the event has no usable one
    "pypwext.runtime._idempotency",  # only for a class that sets `idempotency`
    "pypwext._placeholders",  # only for a route, a URL template or a dependency name
    "pypwext.wire._examples",  # only for building example events (testing, serve)
    "pypwext.dependencies",  # only for a class that declares a dependency
    "pypwext.kinds",  # only for a batch, EventBridge or S3 service
    "logging",  # pypwext writes its own lines: only for the Powertools Logger underneath
    "base64",  # only for a base64 body or a bytes value
    "datetime",  # only for a service whose types hold dates (it imports the module itself)
    "pypwext.wire._alb",  # only for an ALB event
    "pypwext.runtime._cors",  # only for a class that sets `cors`
    "pypwext.runtime._dependency",  # only for a class that declares a dependency
)
"""What a cold start of examples/orders/app.py (import, then one POST /orders from a real REST
and HTTP API sample) must not import: each is paid for only by the services that use it."""


def test_a_cold_start_imports_only_what_the_service_uses() -> None:
    rest = aws_samples.sample("apiGatewayProxyEvent.json")
    http = aws_samples.sample("apiGatewayProxyV2Event.json")
    body = '{"id": 1, "description": "d", "items": [{"id": 1, "quantity": 2, "description": "w"}]}'
    for event in (rest, http):
        event.update(body=body, isBase64Encoded=False)
        event["headers"] = {"Content-Type": "application/json"}
    rest.update(httpMethod="POST", path="/orders")
    http["requestContext"]["http"].update(method="POST", path="/orders")
    http["rawPath"] = "/orders"
    out = _fresh(
        "from examples.orders.app import handler\n"
        f"statuses = [handler(e, None)['statusCode'] for e in {[rest, http]!r}]\n"
        "out = {'statuses': statuses, 'loaded': sorted(sys.modules)}"
    )
    assert out["statuses"] == [201, 201]
    loaded = out["loaded"]
    assert isinstance(loaded, list)
    paid = sorted(
        name
        for name in loaded
        for absent in NOT_ON_THE_COLD_PATH
        if name == absent or name.startswith(absent + ".")
    )
    assert paid == [], f"a cold start of the order service imports {paid}: import them where they are used"
