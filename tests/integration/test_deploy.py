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

from pypwext import packaging
from pypwext.cli import main
from pypwext.deploy import BASIC_EXECUTION_POLICY, PUBLIC_URL_STATEMENTS
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
    assert "'handler = CreateOrder.handler'" in capsys.readouterr().err
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
