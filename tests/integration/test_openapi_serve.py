"""schemathesis against ``pypwext serve examples/orders/api.py``, with the OpenAPI document the
server serves: the document describes what the services really do."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.conftest import ServeProcess

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    log = tmp_path_factory.mktemp("openapi-serve") / "serve.log"
    process = ServeProcess("examples/orders/api.py", REPO, log, reload=False)
    try:
        process.wait()
        yield process
    finally:
        process.stop()


def test_schemathesis_finds_nothing_against_pypwext_serve(server: ServeProcess, tmp_path: Path) -> None:
    """Every schemathesis check but one, every phase (coverage, fuzzing, stateful), against
    ``pypwext serve examples/orders/api.py``, with the document it serves; bounded (8 examples a
    phase and operation, a fixed seed: about 25 s). Left out: ``positive_data_acceptance``,
    which expects every schema-valid request to be accepted -- a service's ``validate`` refuses
    schema-valid input on domain rules with a documented 400 by design (rules that attrs
    validators state are in the document)."""
    run = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
            "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--max-examples", "8", "--seed", "11", "--request-timeout", "20", "--no-color",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    assert "Tested: 5" in report and " passed" in report and "failed" not in report, report[-3000:]


def test_an_order_created_with_post_is_read_with_get(server: ServeProcess) -> None:
    """What schemathesis' stateful phase checks (ensure_resource_availability), made certain:
    ``POST /orders`` answers 201 with the id, and ``GET /orders/{order_id}`` then finds it."""
    order = {
        "id": 917_263,
        "description": "tea",
        "items": [{"id": 3, "quantity": 2, "description": "oolong"}],
    }
    created = requests.post(f"{server.url}/orders", json=order, timeout=10)
    assert created.status_code == 201 and created.json()["id"] == order["id"]
    read = requests.get(f"{server.url}/orders/{order['id']}", timeout=10)
    assert read.status_code == 200 and read.json() == order
    assert requests.get(f"{server.url}/orders/917264", timeout=10).status_code == 404
