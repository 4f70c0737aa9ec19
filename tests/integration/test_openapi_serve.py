"""schemathesis against ``pypwext serve examples/orders/api.py``, with the OpenAPI document the
server serves: the document describes what the services really do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import ServeProcess

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def test_schemathesis_finds_nothing_against_pypwext_serve(tmp_path: Path) -> None:
    """Every schemathesis check but one, every phase (coverage, fuzzing, stateful), against
    ``pypwext serve examples/orders/api.py``, with the document it serves; bounded (8 examples a
    phase and operation, a fixed seed: about 25 s). Left out: ``positive_data_acceptance``,
    which expects every schema-valid request to be accepted -- a service's ``validate`` refuses
    schema-valid input on domain rules with a documented 400 by design (rules that attrs
    validators state are in the document)."""
    server = ServeProcess("examples/orders/api.py", REPO, tmp_path / "serve.log", reload=False)
    try:
        server.wait()
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
                "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                "--max-examples", "8", "--seed", "11", "--request-timeout", "20", "--no-color",
            ],
            cwd=tmp_path, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    finally:
        server.stop()
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    assert "Tested: 5" in report and " passed" in report and "failed" not in report, report[-3000:]
