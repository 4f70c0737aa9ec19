"""Parameter and Secret against moto's server process (SSM Parameter Store, Secrets Manager).

Service classes are defined inside each test: a declaration keeps its provider and cache for
the life of the container, which here is one test.
"""

from __future__ import annotations

import time
from typing import Any

import attrs
import boto3
import pytest

from pypwext import BaseService, DependencyError, Parameter, Request, Secret
from pypwext.testing import invoke, lambda_context

pytestmark = pytest.mark.integration


@attrs.frozen
class DbConfig:
    host: str
    port: int


def test_string_and_secure_string_parameters(aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/app/dev/db-url", Value="postgres://db", Type="String")
    ssm.put_parameter(Name="/app/dev/password", Value="s3cret", Type="SecureString")
    monkeypatch.setenv("STAGE", "dev")

    class Report(BaseService):
        db_url = Parameter("/app/{STAGE}/db-url")
        password = Parameter("/app/{STAGE}/password")
        encrypted = Parameter("/app/{STAGE}/password", decrypt=False)

        def execute(self, request: Request) -> dict[str, str]:
            return {"db": self.db_url, "password_length": str(len(self.password))}

    assert invoke(Report, {}).json == {"db": "postgres://db", "password_length": "6"}
    svc = Report()
    assert (svc.db_url, svc.password) == ("postgres://db", "s3cret")
    assert svc.encrypted != "s3cret"  # without decrypt, SSM hands out the ciphertext


def test_json_and_type_transforms(aws_env: Any) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/app/db", Value='{"host": "db.local", "port": "5432"}', Type="String")
    ssm.put_parameter(Name="/app/flags", Value='{"beta": true}', Type="String")
    ssm.put_parameter(Name="/app/blob", Value="aGVsbG8=", Type="String")
    ssm.put_parameter(Name="/app/bad", Value='{"host": "db.local", "port": "many"}', Type="String")

    class Svc(BaseService):
        db = Parameter("/app/db", transform=DbConfig)
        flags = Parameter("/app/flags", transform="json")
        blob = Parameter("/app/blob", transform="binary")
        bad = Parameter("/app/bad", transform=DbConfig)

    svc = Svc()
    assert svc.db == DbConfig("db.local", 5432)
    assert svc.flags == {"beta": True}
    assert svc.blob == b"hello"
    with pytest.raises(DependencyError, match="parameter /app/bad does not fit DbConfig") as excinfo:
        _ = svc.bad
    assert excinfo.value.details == {"parameter": "/app/bad", "problems": ["port"]}
    assert "many" not in repr(excinfo.value.__dict__)  # the value never shows


def test_secrets_string_json_and_binary(aws_env: Any) -> None:
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="api-key", SecretString="k-123")
    sm.create_secret(Name="db-credentials", SecretString='{"host": "h", "port": 1}')
    sm.create_secret(Name="signing-key", SecretBinary=b"\x00\x01binary")

    class Svc(BaseService):
        api_key = Secret("api-key")
        creds = Secret("db-credentials", transform=DbConfig)
        creds_json = Secret("db-credentials", transform="json")
        signing_key = Secret("signing-key", transform="binary")
        signing_key_as_text = Secret("signing-key")

    svc = Svc()
    assert svc.api_key == "k-123"
    assert svc.creds == DbConfig("h", 1)
    assert svc.creds_json == {"host": "h", "port": 1}
    assert svc.signing_key == b"\x00\x01binary"
    with pytest.raises(DependencyError, match="is binary: declare it with transform='binary'"):
        _ = svc.signing_key_as_text


def test_values_are_cached_for_max_age(aws_env: Any) -> None:
    ssm = boto3.client("ssm")
    sm = boto3.client("secretsmanager")
    ssm.put_parameter(Name="/app/color", Value="red", Type="String")
    sm.create_secret(Name="token", SecretString="t1")

    class Svc(BaseService):
        color = Parameter("/app/color")  # 300 s
        fresh_color = Parameter("/app/color", max_age=0.5)
        token = Secret("token", max_age=0.5)

    svc = Svc()
    assert (svc.color, svc.fresh_color, svc.token) == ("red", "red", "t1")
    ssm.put_parameter(Name="/app/color", Value="blue", Type="String", Overwrite=True)
    sm.put_secret_value(SecretId="token", SecretString="t2")
    assert (Svc().color, Svc().fresh_color, Svc().token) == ("red", "red", "t1")  # cached
    time.sleep(0.6)
    assert (Svc().color, Svc().fresh_color, Svc().token) == ("red", "blue", "t2")
    assert Svc.color.get(force=True) == "blue"


def test_a_missing_parameter_or_secret_is_a_clear_error(aws_env: Any) -> None:
    class Svc(BaseService):
        just_status_code = False
        db_url = Parameter("/app/missing")
        api_key = Secret("missing-secret")

        def execute(self, request: Request) -> str:
            return self.db_url

    with pytest.raises(DependencyError) as excinfo:
        _ = Svc().db_url
    err = excinfo.value
    assert (err.msg, err.code, err.status) == (
        "parameter /app/missing not found in SSM Parameter Store",
        502,
        404,
    )
    assert (err.dependency, err.details) == ("db_url", {"parameter": "/app/missing"})
    with pytest.raises(DependencyError, match="secret missing-secret not found in Secrets Manager"):
        _ = Svc().api_key
    result = invoke(Svc, {})
    assert (result.status, result.errors[-1]["msg"]) == (
        502,
        "parameter /app/missing not found in SSM Parameter Store",
    )


def test_a_secret_value_never_reaches_an_error(aws_env: Any) -> None:
    boto3.client("secretsmanager").create_secret(Name="not-json", SecretString="hunter2-secret")

    class Svc(BaseService):
        config = Secret("not-json", transform="json")

    with pytest.raises(DependencyError, match="secret not-json is not valid JSON") as excinfo:
        _ = Svc().config
    assert "hunter2" not in f"{excinfo.value} {excinfo.value.details} {excinfo.value.body}"
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__


def test_too_little_time_left_is_a_504_before_fetching(aws_env: Any) -> None:
    boto3.client("ssm").put_parameter(Name="/app/x", Value="1", Type="String")

    class Svc(BaseService):
        x = Parameter("/app/x")

        def execute(self, request: Request) -> str:
            return self.x

    assert invoke(Svc, {}, lambda_context(timeout_s=0.6)).status == 504
    assert invoke(Svc, {}, lambda_context(timeout_s=5)).json == "1"
    assert invoke(Svc, {}, lambda_context(timeout_s=0.6)).json == "1"  # cached: no call needed


def test_overrides_need_no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)

    class Svc(BaseService):
        db_url = Parameter("/app/{STAGE}/db-url")
        db = Parameter("/app/db", transform=DbConfig)
        api_key = Secret("api-key")

        def execute(self, request: Request) -> dict[str, Any]:
            return {"db_url": self.db_url, "port": self.db.port, "key": self.api_key}

    svc = Svc(db_url="x", db=DbConfig("h", 5), api_key="k")
    assert invoke(svc, {}).json == {"db_url": "x", "port": 5, "key": "k"}


def test_declarations_fail_early_and_name_their_iam_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="must be UPPERCASE"):
        Parameter("/app/{stage}/db-url")
    with pytest.raises(ValueError, match="transform must be None, 'json', 'binary' or a type"):
        Parameter("/app/x", transform="yaml")  # type: ignore[call-overload]
    monkeypatch.delenv("STAGE", raising=False)
    with pytest.raises(DependencyError, match=r"needs \{STAGE\}: pass STAGE=\.\.\. or set the environment"):
        Parameter("/app/{STAGE}/db-url").resolved_name()
    assert Parameter("/app/{STAGE}/db-url", kms_key="arn:aws:kms:eu-west-1:1:key/k").iam_actions() == [
        (
            "ssm:GetParameter",
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/{STAGE}/db-url",
        ),
        ("kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/k"),
    ]
    assert Secret("db/{STAGE}").iam_actions() == [
        (
            "secretsmanager:GetSecretValue",
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db/{STAGE}-??????",
        )
    ]
