"""Proof that a package built by ``pypwext package`` runs as Lambda runs it.

For Python 3.12 and 3.13 on this machine's architecture: package examples/orders, unzip it into
a clean directory, install the real AWS Lambda Runtime Interface Client (``awslambdaric``, from
PyPI, for that interpreter and Lambda's platform) into a separate runtime directory (as the
Lambda image keeps it beside, not inside, the task root), start it with the machine's pyenv
interpreter against a Runtime API server in this test, and feed it API Gateway (REST and HTTP
API), Function URL and ALB events, built by pypwext.testing and read from the real samples.

Skipped, with the reason printed, only where the interpreter does not exist.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtime_api import RuntimeApi

from pypwext import testing
from pypwext.tools import packaging
from tests._support import aws_samples
from tests.integration.conftest import stop_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "orders"
ARCH = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
ORDER = {"id": 1, "description": "books", "items": [{"id": 7, "quantity": 2, "description": "SICP"}]}


class Function:
    """A packaged function, unzipped, with its interpreter and the runtime client beside it."""

    def __init__(self, python: str, interpreter: str, task: Path, runtime: Path, zip_path: Path) -> None:
        self.python = python
        self.interpreter = interpreter
        self.task = task
        self.runtime = runtime
        self.zip_path = zip_path

    def start(self, handler: str, api: RuntimeApi) -> subprocess.Popen[bytes]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": f"{self.task}:{self.runtime}",
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "LAMBDA_TASK_ROOT": str(self.task),
            "_HANDLER": handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{self.python}",
            "AWS_LAMBDA_FUNCTION_NAME": "orders",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/orders",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2025/01/01/[$LATEST]0123456789abcdef",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "TZ": ":UTC",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        # -S: only the task root and the runtime directory, not this interpreter's site-packages
        return subprocess.Popen(
            [self.interpreter, "-S", "-m", "awslambdaric", handler],
            cwd=self.task,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture(scope="module", params=["3.12", "3.13"])
def function(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Function:
    python: str = request.param
    if ARCH is None:
        pytest.skip(f"no Lambda architecture for this machine ({platform.machine()})")
    interpreter = packaging.find_interpreter(python)
    if interpreter is None:
        pytest.skip(f"python{python} is not on this machine (pyenv versions/{python}.* or PATH)")
    root = tmp_path_factory.mktemp(f"lambda-{python}")
    zip_path = root / "function.zip"
    result = packaging.package(EXAMPLE, "app.handler", zip_path, python=python, arch=ARCH)
    assert result.handler_check.startswith("imported with"), result.handler_check
    task = root / "task"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    runtime = root / "runtime"
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile"]
    done = subprocess.run(
        [*pip, "--target", str(runtime), *packaging._install._platform_args(python, ARCH), "awslambdaric"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Function(python, interpreter, task, runtime, zip_path)


@pytest.fixture(scope="module")
def running(function: Function) -> Iterator[tuple[RuntimeApi, Function]]:
    """One runtime client per Python version, serving every test's events (a warm container)."""
    with RuntimeApi() as api:
        process = function.start("app.handler", api)
        try:
            yield api, function
        finally:
            stop_process(process)


def answer(api: RuntimeApi, event: Any) -> dict[str, Any]:
    outcome = api.invoke(event)
    assert outcome.kind == "response", outcome.payload
    assert isinstance(outcome.payload, dict)
    return outcome.payload


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_the_package_holds_the_service_and_leaves_out_boto3(function: Function) -> None:
    with zipfile.ZipFile(function.zip_path) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert {"app.py", "pypwext", "attrs", "cattrs"} <= tops
    assert not tops & {"boto3", "botocore", "tests", "__pycache__"}
    assert not (function.task / "awslambdaric").exists()  # the runtime client is the runtime's


def test_http_events_get_the_answer_their_source_expects(running: tuple[RuntimeApi, Function]) -> None:
    api, _ = running
    rest = answer(api, testing.api_gateway_event("POST", "/orders", body=ORDER, version="1.0"))
    assert rest["statusCode"] == 201 and "multiValueHeaders" in rest
    assert body(rest) == {"id": 1, "total_quantity": 2}

    http_api = answer(api, testing.api_gateway_event("POST", "/orders", body=ORDER, version="2.0"))
    assert http_api["statusCode"] == 201 and body(http_api) == {"id": 1, "total_quantity": 2}

    url = answer(api, testing.function_url_event("POST", "/orders", body=ORDER))
    assert url["statusCode"] == 201 and body(url)["total_quantity"] == 2

    alb = answer(api, testing.alb_event("POST", "/orders", body=ORDER))
    assert alb["statusCode"] == 201 and alb["statusDescription"].startswith("201")

    bad = {**ORDER, "items": [{"id": 7, "quantity": "two", "description": "SICP"}]}
    refused = answer(api, testing.api_gateway_event("POST", "/orders", body=bad, version="2.0"))
    assert refused["statusCode"] == 400
    problems = body(refused)["error"]["details"]["problems"]
    assert [p["path"] for p in problems] == ["items[0].quantity"]


@pytest.mark.parametrize(
    ("sample", "keys"),
    [
        ("apiGatewayProxyEvent.json", {"statusCode", "headers", "multiValueHeaders", "body"}),
        ("apiGatewayProxyV2Event.json", {"statusCode", "headers", "body"}),
        ("lambdaFunctionUrlEvent.json", {"statusCode", "headers", "body"}),
        ("albEvent.json", {"statusCode", "statusDescription", "headers", "body"}),
    ],
)
def test_real_samples_are_answered_in_their_format(running, sample: str, keys: set[str]) -> None:
    api, _ = running
    event = aws_samples.sample(sample)
    response = answer(api, event)  # the samples' bodies are not orders: a 4xx in the right format
    assert keys <= set(response)
    assert 400 <= response["statusCode"] < 500
    assert "error" in body(response)


def test_a_direct_invoke_gets_a_document(running) -> None:
    api, _ = running
    document = answer(api, ORDER)
    assert json.dumps(document).count("total_quantity") == 1


def test_the_dotted_handler_mistake_fails_as_it_does_on_lambda(function: Function) -> None:
    with RuntimeApi() as api:
        process = function.start("app.CreateOrder.handler", api)
        try:
            assert api.init_failed.wait(timeout=30), process.communicate(timeout=5)[0]
        finally:
            stop_process(process)
    assert api.init_error["errorType"] == "Runtime.ImportModuleError"
    assert "app.CreateOrder" in api.init_error["errorMessage"]
