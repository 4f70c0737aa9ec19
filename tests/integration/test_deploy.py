"""``pypwext deploy`` against moto's server: role, function, waiters, Function URL, idempotence.

moto never runs the code (that is test_runtime's job); it implements the IAM and Lambda APIs the
deployment calls. The session's moto server (tests/integration/conftest.py) starts with
``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, so AWS-managed policies such as
AWSLambdaBasicExecutionRole exist, as in a real account.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from pypwext.tools import packaging
from pypwext.tools._cli import main
from pypwext.tools._deploy import BASIC_EXECUTION_POLICY, PUBLIC_URL_STATEMENTS
from tests.integration.conftest import MotoServer, free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def aws(aws_env: MotoServer) -> str:
    """This test's AWS calls go to the session's moto server (empty); its endpoint."""
    return aws_env.endpoint


def build_zip(tmp_path: Path, body: str = "1") -> Path:
    tree = tmp_path / f"tree-{body}"
    tree.mkdir()
    (tree / "app.py").write_text(f"def handler(event, context):\n    return {body}\n")
    out = tmp_path / f"function-{body}.zip"
    packaging.write_zip(tree, out)
    return out


def test_first_run_creates_everything_second_run_updates(aws, tmp_path, capsys) -> None:
    first = build_zip(tmp_path, "1")
    args = [
        "deploy",
        str(first),
        "--name",
        "orders",
        "--handler",
        "app.handler",
        "--function-url",
        "--auth",
        "NONE",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "created arn:aws:lambda:eu-west-1:" in out
    assert "role arn:aws:iam::123456789012:role/pypwext-orders (created)" in out
    assert f"CodeSha256 {packaging.code_sha256(first)}" in out
    url = next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("url "))
    assert ".lambda-url.eu-west-1.on.aws" in url

    iam = boto3.client("iam")
    role = iam.get_role(RoleName="pypwext-orders")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName="pypwext-orders")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [BASIC_EXECUTION_POLICY]

    client = boto3.client("lambda")
    config = client.get_function(FunctionName="orders")["Configuration"]
    assert (config["Handler"], config["Runtime"], config["MemorySize"], config["Timeout"]) == (
        "app.handler",
        "python3.12",
        512,
        30,
    )
    assert config["Role"] == role["Arn"] and config["State"] == "Active"
    assert client.get_function_url_config(FunctionName="orders")["AuthType"] == "NONE"
    policy = json.loads(client.get_policy(FunctionName="orders")["Policy"])
    assert {s["Sid"]: s["Action"] for s in policy["Statement"]} == {
        PUBLIC_URL_STATEMENTS[0]: "lambda:InvokeFunctionUrl",
        PUBLIC_URL_STATEMENTS[1]: "lambda:InvokeFunction",
    }

    second = build_zip(tmp_path, "2")
    args = ["deploy", str(second), "--name", "orders", "--handler", "app.handler", "--memory", "1024"]
    args += ["--timeout", "10", "--function-url", "--auth", "NONE", "--env", "STAGE=prod"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("updated arn:aws:lambda:eu-west-1:")
    assert "(created)" not in out
    assert f"url {url}" in out
    config = client.get_function(FunctionName="orders")["Configuration"]
    assert config["CodeSha256"] == packaging.code_sha256(second)
    assert (config["MemorySize"], config["Timeout"]) == (1024, 10)
    assert config["Environment"]["Variables"] == {"STAGE": "prod"}
    assert len(json.loads(client.get_policy(FunctionName="orders")["Policy"])["Statement"]) == 2

    # AWS_IAM: the URL stays, its public permissions go
    assert (
        main(["deploy", str(second), "--name", "orders", "--handler", "app.handler", "--function-url"]) == 0
    )
    assert client.get_function_url_config(FunctionName="orders")["AuthType"] == "AWS_IAM"
    try:
        statements = json.loads(client.get_policy(FunctionName="orders")["Policy"])["Statement"]
    except client.exceptions.ResourceNotFoundException:
        statements = []
    assert statements == []


def test_a_given_role_arn_is_used_as_it_is(aws, tmp_path, capsys) -> None:
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName="mine", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    zip_path = build_zip(tmp_path)
    assert main(["deploy", str(zip_path), "--name", "f", "--handler", "app.handler", "--role", arn]) == 0
    assert f"role {arn}\n" in capsys.readouterr().out
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["mine"]
    assert boto3.client("lambda").get_function(FunctionName="f")["Configuration"]["Role"] == arn


def test_mistakes_are_caught_before_any_call(aws, tmp_path, capsys) -> None:
    zip_path = build_zip(tmp_path)
    assert main(["deploy", str(zip_path), "--name", "f", "--handler", "app.CreateOrder.handler"]) == 3
    err = capsys.readouterr().err
    assert "'handler = CreateOrder.handler'" in err and "'app.handler'" in err
    assert main(["deploy", str(tmp_path / "none.zip"), "--name", "f", "--handler", "app.handler"]) == 2
    assert "zip not found" in capsys.readouterr().err
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_aws_errors_exit_7(aws, tmp_path, capsys) -> None:
    zip_path = build_zip(tmp_path)
    bad_role = "arn:aws:iam::123456789012:role/does-not-exist"
    code = main(["deploy", str(zip_path), "--name", "f", "--handler", "app.handler", "--role", bad_role])
    err = capsys.readouterr().err
    assert code == 7, err
    assert "pypwext: AWS refused CreateFunction: InvalidParameterValueException" in err


def test_an_unreachable_endpoint_exits_7(aws, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["deploy", str(build_zip(tmp_path)), "--name", "g", "--handler", "app.handler"]) == 7
    assert "pypwext: cannot reach AWS" in capsys.readouterr().err


def service_zip(tmp_path: Path) -> Path:
    """A zip whose app.py holds a service class and its module-level handler, and a helper."""
    tree = tmp_path / "service-tree"
    tree.mkdir()
    (tree / "app.py").write_text(
        "from pypwext import BaseService, Request\n\n\n"
        "class Ping(BaseService):\n"
        "    def execute(self, request: Request) -> dict[str, bool]:\n"
        "        return {'pong': True}\n\n\n"
        "handler = Ping.handler\n\n\n"
        "def health_handler(event, context):\n    return 'ok'\n\n\n"
        "TABLE = 'orders'\n"
    )
    out = tmp_path / "service.zip"
    packaging.write_zip(tree, out)
    return out


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (
            "app.hander",
            "no attribute 'hander' (its handler-like names: handler, health_handler). "
            "Did you mean 'app.handler'?",
        ),
        ("app.Ping", "names the service class Ping itself"),
        ("ap.handler", "module 'ap' is not in"),
        ("app.Ping.handler", "at module level in app.py:\n\n    handler = Ping.handler\n"),
        ("handler", "must look like 'module.attribute'"),
    ],
)
def test_a_handler_that_does_not_resolve_is_refused_before_any_call(
    aws, tmp_path, capsys, handler, expected
) -> None:
    zip_path = service_zip(tmp_path)
    assert main(["deploy", str(zip_path), "--name", "ping", "--handler", handler]) == 3
    err = capsys.readouterr().err
    assert expected in err
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert boto3.client("iam").list_roles()["Roles"] == []  # not even the role was created
    assert main(["deploy", str(zip_path), "--name", "ping", "--handler", "app.handler"]) == 0


def test_a_redeploy_keeps_what_it_is_not_given(aws, tmp_path, capsys) -> None:
    zip_path = service_zip(tmp_path)
    base = ["deploy", str(zip_path), "--name", "ping", "--handler", "app.handler"]
    given = ["--memory", "1024", "--timeout", "12", "--env", "STAGE=prod", "--env", "DB_PASSWORD=s3cr3t-pw"]
    assert main([*base, *given, "--role", "custom-role"]) == 0
    capsys.readouterr()
    client = boto3.client("lambda")

    def seen() -> tuple[int, int, dict[str, str], str]:
        config = client.get_function(FunctionName="ping")["Configuration"]
        env = config.get("Environment", {}).get("Variables", {})
        return config["MemorySize"], config["Timeout"], env, config["Role"].rsplit("/", 1)[1]

    before = seen()
    assert before == (1024, 12, {"STAGE": "prod", "DB_PASSWORD": "s3cr3t-pw"}, "custom-role")

    assert main(base) == 0  # a plain redeploy: new code, the same configuration
    err = capsys.readouterr().err
    assert seen() == before
    assert "keeping the function's memory 1024 MB, timeout 12 s, environment (2 variables)" in err
    assert [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]] == ["custom-role"]

    assert main([*base, "--env", "STAGE=dev", "--env", "LEVEL=debug"]) == 0  # --env: the whole set
    err = capsys.readouterr().err
    assert seen() == (1024, 12, {"STAGE": "dev", "LEVEL": "debug"}, "custom-role")
    assert "adds LEVEL; changes STAGE; removes DB_PASSWORD" in err
    assert "s3cr3t-pw" not in err and "dev" not in err.split("keeping")[0].split("adds")[0]

    assert main([*base, "--memory", "256", "--no-env"]) == 0
    assert seen() == (256, 12, {}, "custom-role")
    assert main([*base, "--no-env", "--env", "A=1"]) == 2


def test_aws_region_alone_is_enough(aws, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    args = ["deploy", str(build_zip(tmp_path)), "--name", "f", "--handler", "app.handler"]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "created arn:aws:lambda:ap-southeast-2:" in out.out
    assert "deploying f to ap-southeast-2" in out.err
    # --region wins over the environment
    assert main([*args, "--region", "eu-north-1"]) == 0
    assert "created arn:aws:lambda:eu-north-1:" in capsys.readouterr().out
    monkeypatch.delenv("AWS_REGION")
    assert main(args) == 2
    assert "no AWS region" in capsys.readouterr().err


def test_endpoint_url_points_deploy_at_an_emulator(aws, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # only the flag says where the emulator is
    args = ["deploy", str(build_zip(tmp_path)), "--name", "emu", "--handler", "app.handler"]
    assert main([*args, "--endpoint-url", aws]) == 0
    assert f"deploying emu to eu-west-1 ({aws})" in capsys.readouterr().err
    client = boto3.client("lambda", endpoint_url=aws)
    assert client.get_function(FunctionName="emu")["Configuration"]["Handler"] == "app.handler"
