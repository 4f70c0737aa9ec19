"""LambdaFunction against a real Invoke endpoint on 127.0.0.1 running real pypwext services.

boto3 is the client (pointed at the endpoint through AWS_ENDPOINT_URL_LAMBDA); the callee is a
pypwext service's handler or a plain handler, run by tests/integration/invoke_server.py. Service
classes that declare a LambdaFunction are defined inside each test, so that each gets a client
built for that test's endpoint (a client lives as long as its declaration: the container).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from fault_server import FaultServer, slow_headers
from invoke_server import InvokeServer

from pypwext import (
    BaseService,
    DependencyError,
    ErrorAction,
    InfoClassification,
    LambdaFunction,
    NotFound,
    Request,
)
from pypwext.testing import invoke, lambda_context
from tests._support.logs import json_lines
from tests.observability.xray_daemon import run_traced

pytestmark = pytest.mark.integration


@attrs.frozen
class Charge:
    order_id: int
    amount: int


@attrs.frozen
class Receipt:
    order_id: int
    charged: int


class Billing(BaseService):
    """The callee: a pypwext service behind the Invoke endpoint."""

    def execute(self, charge: Charge) -> Receipt:
        if charge.order_id == 404:
            raise NotFound(
                "no order 404",
                details={"order_id": 404},
                classification=InfoClassification.CORPORATE_SENSITIVE_INFO,
            )
        return Receipt(charge.order_id, charge.amount)


def plain_failure(event: Any, context: Any) -> Any:
    raise ValueError(f"cannot bill {event['order_id']}")


def echo_client_context(event: Any, context: Any) -> Any:
    return {"custom": context.client_context.custom, "event": event}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[InvokeServer]:
    functions = {
        "billing-test": Billing.handler,
        "plain": plain_failure,
        "echo": echo_client_context,
    }
    with InvokeServer(functions) as srv:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", srv.endpoint)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        monkeypatch.setenv("AWS_REGION", "eu-west-1")  # only AWS_REGION, as in Lambda's runtime
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("STAGE", "test")
        yield srv


def test_typed_round_trip_to_a_pypwext_service(server: InvokeServer) -> None:
    class Checkout(BaseService):
        billing = LambdaFunction("billing-{STAGE}", response_type=Receipt)

        def execute(self, charge: Charge) -> Receipt:
            return self.billing.invoke(charge)

    result = invoke(Checkout, {"order_id": 7, "amount": 30})
    assert (result.status, result.json) == (200, {"order_id": 7, "charged": 30})
    (call,) = server.calls
    assert (call.function, call.invocation_type, call.payload) == (
        "billing-test",
        "RequestResponse",
        {"order_id": 7, "amount": 30},
    )
    # outside an invocation too, and `into=` per call
    client = Checkout().billing
    assert client.invoke(Charge(8, 1)) == Receipt(8, 1)
    assert client.invoke({"order_id": 9, "amount": 2}, into=dict) == {"order_id": 9, "charged": 2}
    assert client is Checkout().billing  # one client per container
    assert client.boto_client.meta.endpoint_url == server.endpoint
    assert client.boto_client.meta.region_name == "eu-west-1"


def test_a_remote_not_found_comes_back_as_the_same_not_found(server: InvokeServer) -> None:
    class Checkout(BaseService):
        just_status_code = False
        billing = LambdaFunction("billing-{STAGE}", response_type=Receipt)

        def execute(self, charge: Charge) -> Receipt:
            return self.billing.invoke(charge)

    with pytest.raises(NotFound) as excinfo:
        Checkout().billing.invoke(Charge(404, 1))
    err = excinfo.value
    assert (err.code, err.msg, err.details) == (404, "no order 404", {"order_id": 404})
    assert err.classification is InfoClassification.CORPORATE_SENSITIVE_INFO

    result = invoke(Checkout, {"order_id": 404, "amount": 1})
    assert result.status == 404
    assert result.errors[-1]["msg"] == "no order 404"


def test_a_plain_handler_that_raises_is_a_dependency_error_logging_its_type_and_message(
    server: InvokeServer, caplog: pytest.LogCaptureFixture
) -> None:
    class Checkout(BaseService):
        plain = LambdaFunction("plain")

    with pytest.raises(DependencyError) as excinfo:
        Checkout().plain.invoke({"order_id": 3})
    err = excinfo.value
    assert err.code == 502 and err.status == 200 and err.dependency == "plain"
    # the callee's exception never reaches the client's answer: msg and details say only that
    assert err.msg == "plain failed: the function raised an error" and err.details == {}
    remote = json.loads(err.body)  # the callee's error stays on the exception, for the service's code
    assert (remote["errorType"], remote["errorMessage"]) == ("ValueError", "cannot bill 3")
    (record,) = [r for r in caplog.records if r.getMessage() == err.msg]
    assert record.reason == "ValueError: cannot bill 3" and record.function == "plain"


def test_invoke_async_returns_on_202_and_the_callee_runs(server: InvokeServer) -> None:
    ran: list[Any] = []

    def slow(event: Any, context: Any) -> None:
        time.sleep(0.4)
        ran.append(event)

    server.add("slow", slow)

    class Checkout(BaseService):
        slow = LambdaFunction("slow")

    client = Checkout().slow
    client.dry_run()  # builds and warms the boto3 client, so that only the call is timed
    started = time.monotonic()
    assert client.invoke_async({"order": 1}) is None
    assert time.monotonic() - started < 0.35  # did not wait for the function
    (call,) = server.wait_for_calls(1)
    assert call.invocation_type == "Event" and ran == [{"order": 1}]


def test_client_context_arrives_as_context_client_context_custom(server: InvokeServer) -> None:
    class Checkout(BaseService):
        echo = LambdaFunction("echo")

    answer = Checkout().echo.invoke({"a": 1}, client_context={"tenant": "t1", "n": 2})
    assert answer == {"custom": {"tenant": "t1", "n": 2}, "event": {"a": 1}}

    with pytest.raises(DependencyError, match="client context") as excinfo:
        Checkout().echo.invoke({}, client_context={"big": "x" * 3000})
    assert excinfo.value.code == 500
    assert server.calls_to("echo") == server.calls[:1]  # the oversized one was never sent


def test_payloads_over_the_limits_fail_before_sending(server: InvokeServer) -> None:
    class Checkout(BaseService):
        echo = LambdaFunction("echo")

    with pytest.raises(DependencyError, match=r"6,291,456 bytes") as excinfo:
        Checkout().echo.invoke({"blob": "x" * (6 * 1024 * 1024)})
    assert excinfo.value.details["limit_bytes"] == 6 * 1024 * 1024
    with pytest.raises(DependencyError, match=r"asynchronous invoke takes at most 262,144 bytes"):
        Checkout().echo.invoke_async({"blob": "x" * (256 * 1024)})
    assert server.calls == []
    Checkout().echo.invoke_async({"blob": "x" * (200 * 1024)})  # under the limit: sent
    assert len(server.wait_for_calls(1)) == 1


def test_a_slow_callee_runs_exactly_once_when_the_read_times_out(server: InvokeServer) -> None:
    def slow(event: Any, context: Any) -> str:
        time.sleep(0.8)
        return "done"

    server.add("slow", slow)

    class Checkout(BaseService):
        slow = LambdaFunction("slow", timeout=0.3)

    client = Checkout().slow
    client.dry_run()
    started = time.monotonic()
    with pytest.raises(DependencyError, match=r"did not answer within 0\.3 s") as excinfo:
        client.invoke({})
    assert excinfo.value.code == 504 and excinfo.value.status is None
    assert time.monotonic() - started < 0.7
    server.wait_for_calls(1)
    time.sleep(0.3)  # room for a retry to arrive, if there were one
    assert len(server.calls_to("slow")) == 1


def test_botocore_retries_would_have_run_it_twice(server: InvokeServer) -> None:
    """The control for the test above: botocore's retries re-send a timed-out invoke."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ReadTimeoutError

    server.add("slow", lambda event, context: time.sleep(0.5))
    client = boto3.client(
        "lambda",
        region_name="eu-west-1",
        config=Config(read_timeout=0.2, retries={"total_max_attempts": 2, "mode": "standard"}),
    )
    with pytest.raises(ReadTimeoutError):
        client.invoke(FunctionName="slow", Payload=b"{}")
    assert len(server.wait_for_calls(2)) == 2


def test_the_read_timeout_is_capped_by_the_invocations_remaining_time(server: InvokeServer) -> None:
    server.add("slow", lambda event, context: time.sleep(1.3))

    class Checkout(BaseService):
        slow = LambdaFunction("slow")  # the declared read timeout is 30 s

        def execute(self, request: Request) -> Any:
            return self.slow.invoke({})

    started = time.monotonic()
    result = invoke(Checkout, {}, lambda_context(timeout_s=1.6))
    elapsed = time.monotonic() - started
    assert result.status == 504  # not the callee's answer at 1.3 s: the read gave up first
    # the promise is the Lambda's deadline (a loaded machine may be slow, never early): the
    # service answered before its 1.6 s ran out, having waited its capped read timeout (0.9 s)
    assert 0.8 < elapsed < 1.6
    server.wait_for_calls(1, timeout_s=3)
    assert len(server.calls_to("slow")) == 1


def test_each_call_is_logged_at_debug(
    server: InvokeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")

    class Checkout(BaseService):
        service = "checkout-debug"  # a logger of its own: Powertools keeps a level per name
        billing = LambdaFunction("billing-{STAGE}", response_type=Receipt)

        def execute(self, charge: Charge) -> Receipt:
            return self.billing.invoke(charge)

    capsys.readouterr()
    assert invoke(Checkout, {"order_id": 7, "amount": 30}).status == 200
    lines = json_lines(capsys.readouterr().out)
    (entry,) = [e for e in lines if e.get("message") == "lambda invoke"]
    assert entry["level"] == "DEBUG"
    assert entry["dependency"] == "billing"
    assert entry["function_template"] == "billing-{STAGE}"
    assert entry["function"] == "billing-test"
    assert entry["invocation_type"] == "RequestResponse"
    assert entry["status"] == 200 and entry["attempts"] == 1 and entry["remote_status"] == 200
    assert entry["duration_ms"] > 0


def test_too_little_time_left_is_a_504_before_calling(server: InvokeServer) -> None:
    class Checkout(BaseService):
        just_status_code = False
        billing = LambdaFunction("billing-{STAGE}")

        def execute(self, request: Request) -> Any:
            return self.billing.invoke({"order_id": 1, "amount": 1})

    result = invoke(Checkout, {}, lambda_context(timeout_s=0.6))
    assert result.status == 504
    assert result.errors[-1]["msg"].startswith("not invoking billing:")
    assert "before the deadline" in result.errors[-1]["msg"]
    assert server.calls == []


def test_on_error_continue_collects_the_error_and_goes_on(server: InvokeServer) -> None:
    class Checkout(BaseService):
        just_status_code = False
        billing = LambdaFunction("billing-{STAGE}", response_type=Receipt, on_error=ErrorAction.CONTINUE)

        def execute(self, charge: Charge) -> dict[str, Any]:
            receipt = self.billing.invoke(charge)
            return {"billed": receipt is not None, "went_on": True}

    result = invoke(Checkout, {"order_id": 404, "amount": 1})
    assert result.status == 404  # code_from_error: the highest collected code
    assert result.json["went_on"] is True and result.json["billed"] is False
    assert [(e["code"], e["msg"]) for e in result.errors] == [(404, "no order 404")]


def test_an_unknown_function_and_a_refused_connection(server: InvokeServer, monkeypatch) -> None:
    class Checkout(BaseService):
        missing = LambdaFunction("no-such-function")

    with pytest.raises(DependencyError, match="missing failed: Lambda refused the invoke") as excinfo:
        Checkout().missing.invoke({})
    assert (excinfo.value.code, excinfo.value.status) == (502, 404)

    from tests.integration.conftest import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", f"http://127.0.0.1:{free_port()}")

    class Elsewhere(BaseService):
        billing = LambdaFunction("billing-{STAGE}", connect_retries=2)

    with pytest.raises(DependencyError, match=r"could not connect to Lambda \(3 attempts\)"):
        Elsewhere().billing.invoke({})


@pytest.mark.parametrize("case", ["unfilled", "no-region"])
def test_a_name_nobody_fills_or_a_client_that_cannot_be_built_is_a_500_told_in_one_warning(
    server: InvokeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """The client's answer names only the declaration and says ``(see the log)``; one WARNING
    line has the rest (the template and what to set, or the library's words)."""
    monkeypatch.delenv("BILLING_STAGE", raising=False)
    if case == "no-region":
        monkeypatch.delenv("AWS_REGION")
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")

    class Checkout(BaseService):
        just_status_code = False
        billing = LambdaFunction("billing-{BILLING_STAGE}")

        def execute(self, request: Request) -> Any:
            return self.billing.invoke({"order_id": 1})

    capsys.readouterr()
    result = invoke(Checkout, {}, lambda_context())
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    (warning,) = [e for e in lines if e.get("level") == "WARNING"]
    assert result.status == 500
    assert warning["dependency"] == "billing"
    if case == "unfilled":
        assert [e["msg"] for e in result.errors] == [
            "billing: the function name cannot be filled (see the log)"
        ]
        assert warning["message"] == (
            "billing: function name template 'billing-{BILLING_STAGE}' needs {BILLING_STAGE}: "
            "pass BILLING_STAGE=... or set the environment variable BILLING_STAGE"
        )
    else:
        assert [e["msg"] for e in result.errors] == [
            "billing: the Lambda client cannot be built (see the log)"
        ]
        assert warning["message"] == "cannot build the Lambda client (set AWS_REGION)"
        assert "NoRegionError" in warning["reason"]
    assert server.calls == []


def test_dry_run_qualifier_and_name_templates(server: InvokeServer) -> None:
    class Checkout(BaseService):
        billing = LambdaFunction("billing-{stage}", qualifier="{STAGE}")

    Checkout().billing.dry_run(stage="test")
    assert server.calls == []  # a dry run runs nothing
    Checkout().billing.invoke_async({"order_id": 1, "amount": 1}, stage="test")
    (call,) = server.wait_for_calls(1)
    assert (call.function, call.qualifier) == ("billing-test", "test")
    with pytest.raises(DependencyError, match="the function name cannot be filled") as excinfo:
        Checkout().billing.invoke({})
    assert excinfo.value.code == 500
    assert "{stage}" not in excinfo.value.msg  # the template and what to pass are in the log
    with pytest.raises(TypeError, match="has no placeholder colour"):
        Checkout().billing.invoke({}, stage="x", colour="red")


def test_iam_actions_and_bad_declarations() -> None:
    assert LambdaFunction("billing-{STAGE}-{tenant}").iam_actions() == [
        (
            "lambda:InvokeFunction",
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:billing-{STAGE}-*",
        ),
        (
            "lambda:InvokeFunction",
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:billing-{STAGE}-*:*",
        ),
    ]
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:billing:live"
    assert LambdaFunction(arn).iam_actions() == [("lambda:InvokeFunction", arn)]
    with pytest.raises(ValueError, match="malformed template"):
        LambdaFunction("billing-{STAGE")
    with pytest.raises(TypeError, match="cannot structure answers into"):
        LambdaFunction("billing", response_type=object())  # type: ignore[call-overload]


def test_declaring_dependencies_imports_no_boto3() -> None:
    code = textwrap.dedent(
        """
        import sys
        import pypwext
        from pypwext import BaseService, LambdaFunction, Parameter, Secret, Request

        class Svc(BaseService):
            billing = LambdaFunction("billing-{STAGE}")
            db_url = Parameter("/app/{STAGE}/db-url")
            api_key = Secret("api-key", transform="json")

            def execute(self, request: Request) -> None:
                return None

        Svc(billing=object(), db_url="x", api_key={})
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore"))
        print(",".join(heavy))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


TRACED = """
from pypwext import BaseService, LambdaFunction, Request

class Checkout(BaseService):
    service = "checkout"
    tracing = True
    billing = LambdaFunction("billing-{STAGE}")

    def execute(self, request: Request) -> object:
        self.billing.invoke({"order_id": 1, "amount": 5})
        return self.billing.invoke({"order_id": 404, "amount": 5})

Checkout.handler({}, None)
"""


def test_each_invoke_is_a_subsegment_of_a_traced_invocation(server: InvokeServer) -> None:
    pytest.importorskip("aws_xray_sdk")
    documents = run_traced(TRACED, drop=())  # keeps the AWS_* variables that point boto3 at the server
    calls = [d for d in documents if d.get("name") == "billing RequestResponse"]
    assert len(calls) == 2
    assert all(c["annotations"]["function"] == "billing-test" for c in calls)
    assert "cause" not in calls[0]
    assert calls[1]["cause"]["exceptions"][0]["type"] == "NotFound"  # recorded where it was raised


def test_with_a_deadline_each_invoke_is_still_a_subsegment_of_the_traced_invocation(
    server: InvokeServer,
) -> None:
    """With a Lambda context the invoke runs in a thread bounded by the deadline
    (pypwext.runtime._fitted.within); the X-Ray trace goes with it: where the user patched
    botocore, its subsegment of each call nests under pypwext's."""
    pytest.importorskip("aws_xray_sdk")
    code = "from aws_xray_sdk.core import patch\npatch(['botocore'])\n" + TRACED.replace(
        "Checkout.handler({}, None)",
        "from pypwext.testing import lambda_context\nCheckout.handler({}, lambda_context())",
    )
    documents = run_traced(code, drop=())  # (each subsegment sent alone, naming its parent)
    calls = {d["id"] for d in documents if d.get("name") == "billing RequestResponse"}
    botocore = [d for d in documents if d.get("namespace") == "aws"]
    assert len(calls) == 2
    assert len(botocore) == 2 and {d["parent_id"] for d in botocore} == calls
    assert {d["aws"]["operation"] for d in botocore} == {"Invoke"}


# --- attacks: no internals in any answer, the Lambda's deadline ------------------------------

LAMBDA_INTERNALS = [
    "no-such-function",
    "ResourceNotFoundException",
    "Function not found",
    "arn:",
    "ValueError",
    "cannot bill",
    "c-SECRET-callee",
    "Unhandled",
    "stackTrace",
    "Traceback",
    "127.0.0.1",
    "EndpointConnectionError",
    "endpoint URL",
    "botocore",
    "{stage}",
    "plain",
]


def _leaky(function: str) -> type[BaseService]:
    class Checkout(BaseService):
        just_status_code = False
        billing = LambdaFunction(function)

        def execute(self, request: Request) -> Any:
            return self.billing.invoke({"order_id": "c-SECRET-callee"})

    return Checkout


def test_no_answer_names_the_function_aws_codes_or_the_callee_s_error(
    server: InvokeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.integration.conftest import free_port

    answers = [
        invoke(_leaky("plain"), {}),
        invoke(_leaky("no-such-function"), {}),
        invoke(_leaky("x-{stage}"), {}),
    ]
    port = str(free_port())
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", f"http://127.0.0.1:{port}")
    answers.append(invoke(_leaky("plain"), {}))
    assert [a.status for a in answers] == [502, 502, 500, 502]
    for answer in answers:
        body = json.dumps(answer.raw)
        for needle in [*LAMBDA_INTERNALS, port]:
            assert needle.lower() not in body.lower(), (needle, body)
    out = capsys.readouterr().out  # the log has what the answers leave out
    assert "ValueError: cannot bill" in out and "ResourceNotFoundException" in out
    assert "needs {stage}: pass stage=..." in out and "EndpointConnectionError" in out


def test_a_lambda_endpoint_that_trickles_its_answer_ends_with_a_504_before_the_deadline(
    server: InvokeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte every 0.25 s never trips a read timeout: the invoke as a whole is bounded by the
    time the invocation has left (pypwext.runtime._fitted.within)."""
    endpoint = FaultServer().start()
    try:
        endpoint.script("/2015-03-31/functions/trickle/invocations", slow_headers(0.25))
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint.base_url)

        class Checkout(BaseService):
            trickle = LambdaFunction("trickle")

            def execute(self, request: Request) -> Any:
                return self.trickle.invoke({})

        started = time.monotonic()
        result = invoke(Checkout, {}, lambda_context(timeout_s=2.0))
        elapsed = time.monotonic() - started
        assert result.status == 504, result.raw
        assert elapsed < 2.0  # the Lambda's deadline (the trickle takes about 15 s)
        assert endpoint.count("/2015-03-31/functions/trickle/invocations") == 1  # not retried
    finally:
        endpoint.stop()


def test_a_callee_slower_than_the_invocation_ends_with_a_504_before_the_deadline(
    server: InvokeServer,
) -> None:
    server.add("slow", lambda event, context: time.sleep(5))

    class Checkout(BaseService):
        slow = LambdaFunction("slow")

        def execute(self, request: Request) -> Any:
            return self.slow.invoke({})

    started = time.monotonic()
    result = invoke(Checkout, {}, lambda_context(timeout_s=3.0))
    elapsed = time.monotonic() - started
    assert result.status == 504
    assert elapsed < 3.0  # the Lambda's deadline, not the callee's 5 s
    assert len(server.calls_to("slow")) == 1  # not retried: the function may still be running
