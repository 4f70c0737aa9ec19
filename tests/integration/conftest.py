"""Real components for tests that cross a process boundary.

``moto_server`` starts moto's server (``python -m moto.server``) as a separate process on
127.0.0.1 for the whole session and points boto3 at it through ``AWS_ENDPOINT_URL`` with dummy
credentials; ``aws_env`` gives one test that environment (and takes it away afterwards).
Nothing here talks to anything but loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process the tests started: politely, then for good after 10 s; its pipes
    are closed (an open one is a ResourceWarning, which fails the test)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


class MotoServer:
    """A running moto server process."""

    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.process = process
        self.endpoint = f"http://127.0.0.1:{port}"

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def env(self) -> dict[str, str]:
        """The environment that points boto3 (and Powertools) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_REGION": "eu-west-1",
        }


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's server in its own process, for the session."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # as in a real account, AWS-managed policies (AWSLambdaBasicExecutionRole...) exist
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
    )
    server = MotoServer(port, process)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto server did not start on 127.0.0.1:{port} (exit code {process.poll()})")
            time.sleep(0.1)
    try:
        _warm_up(server)
        yield server
    finally:
        stop_process(process)


def _warm_up(server: MotoServer) -> None:
    """One call to each AWS service the tests use, with a generous timeout: moto loads a service's
    backend on its first request, which on a loaded machine takes longer than the short timeouts
    pypwext's dependencies keep (a Parameter reads with a 2 s timeout). A test then measures
    pypwext, not moto's first import."""
    import boto3
    from botocore.config import Config

    env = server.env()
    session = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
        region_name=env["AWS_REGION"],
    )
    config = Config(connect_timeout=10, read_timeout=120, retries={"max_attempts": 1})
    calls = {
        "ssm": ("describe_parameters", {}),
        "secretsmanager": ("list_secrets", {}),
        "dynamodb": ("list_tables", {}),
        "s3": ("list_buckets", {}),
        "lambda": ("list_functions", {}),
        "iam": ("list_roles", {}),
    }
    for service, (operation, kwargs) in calls.items():
        client = session.client(service, endpoint_url=server.endpoint, config=config)
        getattr(client, operation)(**kwargs)


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """This test's AWS calls go to the moto server, which starts empty."""
    moto_server.reset()
    for key, value in moto_server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield moto_server


class ServeProcess:
    """``pypwext serve TARGET`` as a subprocess on a free 127.0.0.1 port, its log in ``log``.

    The example checkout calls inventory (HTTP) and billing (the Invoke API) on the same server,
    as ``make example`` sets it up: the environment points both at the server itself.
    """

    def __init__(
        self, target: str, cwd: Path, log: Path, *, source: str | None = "rest", reload: bool = True
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            INVENTORY_URL=self.url,
            AWS_ENDPOINT_URL_LAMBDA=self.url,
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            POWERTOOLS_LOG_LEVEL="INFO",
        )
        command = [sys.executable, "-m", "pypwext.tools._cli", "serve", target, "--port", str(self.port)]
        command += (["--source", source] if source else []) + ([] if reload else ["--no-reload"])
        with log.open("wb") as stderr:  # the server has its own copy of the file
            self.process = subprocess.Popen(
                command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr, env=env
            )

    def wait(self) -> None:
        """Return once the server answers HTTP (fail with its log if it does not start)."""
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/openapi.json", timeout=5).close()
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer: it is up
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pypwext serve did not start:\n{self.logs()}")
                time.sleep(0.05)

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str) -> str:
        """The log once it holds ``text`` (an access-log line follows its answer)."""
        deadline = time.monotonic() + 5
        while text not in (logs := self.logs()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return logs

    def stop(self) -> None:
        stop_process(self.process)
