"""Parameter and Secret against moto's server process (SSM Parameter Store, Secrets Manager).

Service classes are defined inside each test: a declaration keeps its provider and cache for
the life of the container, which here is one test.
"""

from __future__ import annotations

import json
import time
from typing import Any

import attrs
import boto3
import pytest
from fault_server import FaultServer, silent, slow_headers

from pypwext import BaseService, DependencyError, Parameter, Request, Secret
from pypwext.testing import invoke, lambda_context
from tests._support.logs import json_lines

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
    with pytest.raises(DependencyError, match="bad: the value does not fit its declaration") as excinfo:
        _ = svc.bad
    assert excinfo.value.details == {}  # the field paths go to the log line (see below)
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
    with pytest.raises(DependencyError, match="signing_key_as_text: the value does not fit its declaration"):
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
    # (issue 13: the message names the declaration only; it used to name the path and the store,
    # which now go to the WARNING line, see test_no_answer_names_a_path_a_store_or_an_aws_code)
    class Svc(BaseService):
        just_status_code = False
        db_url = Parameter("/app/missing")
        api_key = Secret("missing-secret")

        def execute(self, request: Request) -> str:
            return self.db_url

    with pytest.raises(DependencyError) as excinfo:
        _ = Svc().db_url
    err = excinfo.value
    assert (err.msg, err.code, err.status) == ("db_url: not found (see the log)", 502, 404)
    assert (err.dependency, err.details) == ("db_url", {})
    with pytest.raises(DependencyError, match=r"api_key: not found \(see the log\)"):
        _ = Svc().api_key
    result = invoke(Svc, {})
    assert (result.status, result.errors[-1]["msg"]) == (502, "db_url: not found (see the log)")


def test_a_secret_value_never_reaches_an_error(aws_env: Any) -> None:
    boto3.client("secretsmanager").create_secret(Name="not-json", SecretString="hunter2-secret")

    class Svc(BaseService):
        config = Secret("not-json", transform="json")

    with pytest.raises(DependencyError, match="config: the value does not fit its declaration") as excinfo:
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
    with pytest.raises(DependencyError, match=r"the parameter name cannot be filled \(see the log\)"):
        Parameter("/app/{STAGE}/db-url").resolved_name()  # what to set: in the WARNING line
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


# --- issue 13: clients never see internals -------------------------------------------------------

# What no answer may contain: the planted path and secret name, the stores, AWS error codes, the
# names of the libraries behind the call, the placeholder and the environment variable.
_INTERNALS = [
    "planted-tenant",
    "planted-secret",
    "/app/",
    "SSM",
    "Parameter Store",
    "Secrets Manager",
    "ParameterNotFound",
    "ResourceNotFound",
    "GetParameterError",
    "EndpointConnection",
    "botocore",
    "boto3",
    "powertools",
    "TENANT_STAGE",
    "NoRegion",
    "DbConfig",
    "base64",
    "valid JSON",
]


def _warnings(out: str, dependency: str) -> list[dict[str, Any]]:
    lines = json_lines(out)
    return [e for e in lines if e.get("level") == "WARNING" and e.get("dependency") == dependency]


@pytest.mark.parametrize(
    ("case", "status", "answer", "logged"),
    [
        ("missing-parameter", 502, "not found", ["/app/planted-tenant/db-url", "ParameterNotFound"]),
        ("missing-secret", 502, "not found", ["planted-secret", "ResourceNotFoundException"]),
        (
            "unreachable-store",
            502,
            "could not be read",
            ["/app/planted-tenant/db-url", "EndpointConnectionError"],
        ),
        (
            "does-not-fit",
            502,
            "the value does not fit its declaration",
            ["/app/planted-tenant/db-url", "port"],
        ),
        ("not-json", 502, "the value does not fit its declaration", ["planted-secret", "not valid JSON"]),
        ("unfilled", 500, "the parameter name cannot be filled", ["{TENANT_STAGE}", "TENANT_STAGE=..."]),
        ("no-region", 500, "the client cannot be built", ["NoRegionError", "AWS_REGION"]),
        (
            "no-time-left",
            504,
            "not fetched: too little time left before the deadline",
            ["/app/planted-tenant/db-url"],
        ),
    ],
)
def test_no_answer_names_a_path_a_store_or_an_aws_code(
    aws_env: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
    status: int,
    answer: str,
    logged: list[str],
) -> None:
    from tests.integration.conftest import free_port

    ssm = boto3.client("ssm")
    sm = boto3.client("secretsmanager")
    declaration: Parameter[Any] | Secret[Any] = Parameter("/app/planted-tenant/db-url")
    context = lambda_context(timeout_s=10)
    if case == "missing-secret":
        declaration = Secret("planted-secret")
    elif case == "unreachable-store":
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", f"http://127.0.0.1:{free_port()}")
    elif case == "does-not-fit":
        ssm.put_parameter(
            Name="/app/planted-tenant/db-url", Value='{"host": "h", "port": "hunter2"}', Type="String"
        )
        declaration = Parameter("/app/planted-tenant/db-url", transform=DbConfig)
    elif case == "not-json":
        sm.create_secret(Name="planted-secret", SecretString="hunter2-value")
        declaration = Secret("planted-secret", transform="json")
    elif case == "unfilled":
        monkeypatch.delenv("TENANT_STAGE", raising=False)
        declaration = Parameter("/app/{TENANT_STAGE}/db-url")
    elif case == "no-region":
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    elif case == "no-time-left":
        context = lambda_context(timeout_s=0.6)

    class Checkout(BaseService):
        just_status_code = False
        db_url = declaration

        def execute(self, request: Request) -> Any:
            return self.db_url

    capsys.readouterr()
    result = invoke(Checkout, {}, context)
    out = capsys.readouterr().out
    body = result.body + json.dumps(result.errors) + json.dumps(dict(result.headers))
    assert result.status == status, body
    assert [e["msg"] for e in result.errors] == [f"db_url: {answer} (see the log)"]
    for needle in _INTERNALS:
        assert needle.lower() not in body.lower(), (needle, body)
    (warning,) = _warnings(out, "db_url")  # one WARNING line has what the answer leaves out
    text = json.dumps(warning)
    for needle in logged:
        assert needle in text, (needle, text)
    assert "hunter2" not in out  # a value never reaches the log either
    if case not in ("unfilled", "no-region"):
        store = "Secrets Manager" if isinstance(declaration, Secret) else "SSM Parameter Store"
        assert warning["store"] == store
    if case in ("missing-parameter", "missing-secret"):
        assert warning["error_code"] in logged and warning["reason"]


# --- the Lambda's deadline against a store that never answers --------------------------------


@pytest.mark.parametrize("kind", ["parameter", "secret"])
@pytest.mark.parametrize(
    ("timeout_s", "fault"),
    [
        (2.0, silent()),  # time for less than one 2 s read
        (3.5, silent()),  # for one, not two
        (2.0, slow_headers(0.25)),  # a byte every 0.25 s: no read timeout ever trips
    ],
    ids=["silent-2.0s", "silent-3.5s", "trickling-2.0s"],
)
def test_a_store_that_never_answers_ends_with_a_504_before_the_deadline(
    aws_env: Any, monkeypatch: pytest.MonkeyPatch, kind: str, timeout_s: float, fault: Any
) -> None:
    """The store's timeouts (1 s to connect, 2 s to read, two attempts) are cut to the time the
    invocation has left, and the call as a whole is bounded by it: a silent or trickling store
    costs a 504 before the Lambda's deadline, never a Lambda timeout without an answer."""
    store = FaultServer().start()
    try:
        store.script("/", fault)
        variable = "AWS_ENDPOINT_URL_SSM" if kind == "parameter" else "AWS_ENDPOINT_URL_SECRETS_MANAGER"
        monkeypatch.setenv(variable, store.base_url)

        class Svc(BaseService):
            value = Parameter("/app/slow") if kind == "parameter" else Secret("app/slow")

            def execute(self, request: Request) -> str:
                return self.value

        started = time.monotonic()
        result = invoke(Svc, {}, lambda_context(timeout_s=timeout_s))
        elapsed = time.monotonic() - started
        assert result.status == 504, result.raw
        assert result.errors[-1]["msg"] == "value: did not answer in time (see the log)"
        shown = json.dumps(result.raw)  # the name, the store, its address and AWS's words stay in the log
        for needle in (
            "/app/slow",
            "app/slow",
            store.base_url.split("//", 1)[1],
            "Timeout",
            "SSM",
            "Secrets",
        ):
            assert needle not in shown, (needle, shown)
        assert elapsed < timeout_s  # the Lambda's deadline (as declared: 4 s and more)
        assert store.count("/") == 1  # no second attempt: it would not fit
    finally:
        store.stop()
