"""`pypwext invoke` as a shell user runs it: a real subprocess, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = "examples/orders/app.py:handler"
ORDER = '{"id": 1, "description": "books", "items": [{"id": 7, "quantity": 2, "description": "SICP"}]}'


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pypwext.tools._cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("source", ["rest", "http-api", "function-url", "alb"])
def test_invoke_builds_an_http_event_for_each_source(source: str) -> None:
    result = run("invoke", APP, "--http", "POST", "/orders", "--body", ORDER, "--source", source)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 201
    assert json.loads(response["body"]) == {"id": 1, "total_quantity": 2}


def test_invoke_on_an_event_file_and_stdin(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"id": 1, "description": "d", "items": []}))
    by_file = run("invoke", APP, "--event", str(event))
    assert by_file.returncode == 0
    assert json.loads(by_file.stdout)["statusCode"] == 400
    by_stdin = run("invoke", "examples.orders.app:CreateOrder", "--event", "-", stdin=event.read_text())
    assert json.loads(by_stdin.stdout) == json.loads(by_file.stdout)


def test_invoke_with_headers_query_and_body_file(tmp_path: Path) -> None:
    body = tmp_path / "order.json"
    body.write_text(ORDER)
    result = run(
        "invoke",
        APP,
        "--http",
        "POST",
        "/orders",
        "--body",
        f"@{body}",
        "--header",
        "X-Trace: 1",
        "--query",
        "a=b",
    )
    assert result.returncode == 0 and json.loads(result.stdout)["statusCode"] == 201


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["invoke", "nope.py:handler", "--event", "-"], 3, "file not found: nope.py"),
        (["invoke", "examples/orders/app.py:nothing", "--event", "-"], 3, "has no attribute 'nothing'"),
        (["invoke", "examples/orders/app.py:MAX_QUANTITY", "--event", "-"], 3, "is not a handler"),
        (["invoke", "no_such_module:handler", "--event", "-"], 3, "module not found"),
        (["invoke", APP, "--event", "missing.json"], 4, "event file not found"),
        (["invoke", APP, "--event", "-"], 4, "not valid JSON"),
        (["invoke", APP, "--event", "-", "--body", "{}"], 2, "go with --http"),
        (["invoke", APP, "--http", "POST", "/x", "--header", "novalue"], 2, "NAME:VALUE"),
        (["invoke", APP, "--http", "POST", "/x", "--body", "@missing.json"], 4, "body file not found"),
    ],
)
def test_errors_a_shell_user_can_act_on(args: list[str], code: int, message: str) -> None:
    result = run(*args, stdin="{not json")
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_service_class_is_reported_at_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text(
        "from pypwext import BaseService\n"
        "class Bad(BaseService):\n"
        "    just_status_codes = False\n"
        "    def execute(self, data): return data\n"
        "handler = Bad.handler\n"
    )
    result = run("invoke", f"{broken}:handler", "--event", "-", stdin="{}")
    assert result.returncode == 3
    assert "Did you mean 'just_status_code'" in result.stderr


def test_a_handler_that_raises_exits_1(tmp_path: Path) -> None:
    raw = tmp_path / "raw.py"
    raw.write_text("def handler(event, context):\n    raise RuntimeError('plain handler failed')\n")
    result = run("invoke", f"{raw}:handler", "--event", "-", stdin="{}")
    assert result.returncode == 1
    assert "plain handler failed" in result.stderr


def test_version_prints_the_installed_version() -> None:
    import importlib.metadata

    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"pypwext {importlib.metadata.version('pypwext')}\n"
    import pypwext

    assert importlib.metadata.version("pypwext") == pypwext.__version__  # setup.cfg reads it from there
