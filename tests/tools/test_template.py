"""``pypwext template``: the SAM template of a project, validated with cfn-lint 1.53.3 (which
applies the SAM transform offline)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pypwext.tools._cli import main
from pypwext.tools._template import TemplateError, build_template, discover, to_yaml

REPO = Path(__file__).resolve().parents[2]

cfnlint_api = pytest.importorskip(
    "cfnlint.api", reason="cfn-lint is a dev dependency (pip install -e .[dev])"
)


def lint(text: str) -> list[str]:
    """cfn-lint's errors (not warnings or informational findings) for a template text."""
    matches = cfnlint_api.lint(text, config=cfnlint_api.ManualArgs(regions=["us-east-1"]))
    return [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]


PROJECT = """\
from typing import Any

from pypwext import BaseService, Request
from pypwext.runtime._dependency import Dependency


class Queue(Dependency[Any]):  # a dependency of the test's own: IAM needs, an UPPERCASE placeholder

    def __init__(self, name: str) -> None:
        super().__init__()
        self.queue = name

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "queue": self.queue}

    def iam_actions(self) -> list[tuple[str, str]]:
        arn = f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{self.queue}"
        return [("sqs:SendMessage", arn), ("sqs:GetQueueUrl", arn)]


class CreateOrder(BaseService):
    route = "POST /orders"
    outbox = Queue("orders-{STAGE}")

    def execute(self, request: Request) -> dict:
        return {}

class GetOrder(BaseService):
    route = "GET /orders/{order_id}"

    def execute(self, request: Request) -> dict:
        return {}

class Nightly(BaseService):
    def execute(self, request: Request) -> dict:
        return {}

handler = CreateOrder.handler
get_handler = GetOrder.handler
nightly = Nightly.handler
"""


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "app.py").write_text(PROJECT)
    (folder / "test_app.py").write_text("raise SystemExit('tests are not imported')\n")
    return folder


def test_one_function_per_service_with_routes_policies_and_parameters(proj) -> None:
    functions = discover(proj)
    assert [(f.logical_id, f.handler, f.routes) for f in functions] == [
        ("GetOrderFunction", "app.get_handler", [("GET", "/orders/{order_id}")]),
        ("CreateOrderFunction", "app.handler", [("POST", "/orders")]),
        ("NightlyFunction", "app.nightly", []),
    ]
    template = build_template(
        functions, python="3.13", arch="arm64", env={"STAGE": "dev", "LOG_LEVEL": "INFO"}
    )
    assert template["Parameters"] == {
        "Stage": {"Type": "String", "Description": "environment variable STAGE", "Default": "dev"}
    }
    create = template["Resources"]["CreateOrderFunction"]["Properties"]
    assert create["Runtime"] == "python3.13" and create["Architectures"] == ["arm64"]
    assert create["MemorySize"] == 512 and create["Timeout"] == 30
    assert create["Environment"]["Variables"] == {"LOG_LEVEL": "INFO", "STAGE": {"Ref": "Stage"}}
    assert create["Events"] == {
        "PostOrders": {"Type": "HttpApi", "Properties": {"Path": "/orders", "Method": "POST"}}
    }
    (statement,) = create["Policies"][0]["Statement"]
    assert statement["Action"] == ["sqs:GetQueueUrl", "sqs:SendMessage"]
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:orders-${Stage}"
    }
    nightly = template["Resources"]["NightlyFunction"]["Properties"]
    assert "Events" not in nightly and "Policies" not in nightly
    assert nightly["Environment"]["Variables"] == {"LOG_LEVEL": "INFO"}
    assert lint(to_yaml(template)) == []


@pytest.mark.parametrize(
    ("options", "output"),
    [
        ([], "HttpApiUrl"),
        (["--api", "rest"], "RestApiUrl"),
        (["--api", "none", "--function-url", "--auth", "NONE"], "CreateOrderFunctionEndpoint"),
        (["--function-url"], "GetOrderFunctionEndpoint"),
    ],
)
def test_the_cli_writes_a_template_cfn_lint_accepts(proj, tmp_path, options, output, capsys) -> None:
    out = tmp_path / "template.yaml"
    assert main(["template", str(proj), "--out", str(out), *options]) == 0
    text = out.read_text()
    assert text.startswith("# Written by `pypwext template")
    assert "'app.CreateOrder.handler' does not resolve" in text  # the handler-string rule, in the file
    assert f"  {output}:" in text
    if "--function-url" in options:
        auth = "NONE" if "NONE" in options else "AWS_IAM"
        assert f"AuthType: {auth}" in text
    if options[:2] == ["--api", "rest"]:
        assert "Type: Api\n" in text
    assert lint(text) == []
    assert "CreateOrderFunction: app.handler (POST /orders)" in capsys.readouterr().out


def test_a_broken_template_is_caught(proj) -> None:
    template = build_template(discover(proj))
    template["Resources"]["CreateOrderFunction"]["Properties"]["Runtime"] = "python2.0"
    template["Resources"]["GetOrderFunction"]["Properties"]["MemorySize"] = 64
    template["Outputs"]["Nowhere"] = {"Value": {"Fn::GetAtt": ["NoSuchFunction", "Arn"]}}
    errors = lint(to_yaml(template))
    assert any("python2.0" in e for e in errors), errors
    assert any("64" in e for e in errors), errors
    assert any("NoSuchFunction" in e for e in errors), errors


def test_the_examples_get_functions_that_lint(tmp_path) -> None:
    functions = discover(REPO / "examples" / "orders")
    handlers = {f.handler for f in functions}
    assert handlers & {"app.handler", "api.handler"}
    assert lint(to_yaml(build_template(functions, function_url=True))) == []


def test_real_dependencies_ask_for_their_iam_permissions(tmp_path) -> None:
    pytest.importorskip("pypwext.dependencies.lambda_", reason="LambdaFunction has not landed")
    pytest.importorskip("pypwext.dependencies.parameters", reason="Parameter and Secret have not landed")
    folder = tmp_path / "deps"
    folder.mkdir()
    (folder / "svc.py").write_text(
        textwrap.dedent(
            """\
            from pypwext import BaseService, LambdaFunction, Parameter, Request, Secret

            class Billing(BaseService):
                route = "POST /bills"
                billing = LambdaFunction("billing-{STAGE}")
                db_url = Parameter("/app/{STAGE}/db-url")
                api_key = Secret("reports/api-key")

                def execute(self, request: Request) -> dict:
                    return {}

            handler = Billing.handler
            """
        )
    )
    template = build_template(discover(folder), env={"STAGE": "prod"})
    statements = template["Resources"]["BillingFunction"]["Properties"]["Policies"][0]["Statement"]
    actions = {action for s in statements for action in s["Action"]}
    assert {"lambda:InvokeFunction", "ssm:GetParameter", "secretsmanager:GetSecretValue"} <= actions
    assert template["Parameters"]["Stage"]["Default"] == "prod"
    assert lint(to_yaml(template)) == []


def test_a_project_without_entry_points_says_what_to_write(tmp_path) -> None:
    (tmp_path / "lib.py").write_text("X = 1\n")
    with pytest.raises(TemplateError, match=r"handler = MyService\.handler"):
        discover(tmp_path)
    assert main(["template", str(tmp_path), "--out", "-"]) == 3


def test_yaml_quotes_what_yaml_would_misread() -> None:
    text = to_yaml({"a": "yes", "b": "1.0", "c": "x: y", "d": True, "e": 5, "f": [], "g": "plain-text"})
    assert text == 'a: "yes"\nb: "1.0"\nc: "x: y"\nd: true\ne: 5\nf: []\ng: plain-text\n'


EVENTS_PROJECT = """\
from pypwext import EventService, ScheduledService, SqsBatchService, KinesisBatchService


class Payments(SqsBatchService):
    def process_record(self, record: dict) -> None:
        return None


class Clicks(KinesisBatchService):
    def process_record(self, record: dict) -> None:
        return None


class Shipped(EventService):
    sources = ("shop.orders",)
    detail_types = ("OrderShipped",)

    def execute(self, detail: dict) -> None:
        return None


class DailyReport(ScheduledService):
    def execute(self, detail: dict) -> None:
        return None


payments = Payments.handler
clicks = Clicks.handler
shipped = Shipped.handler
report = DailyReport.handler
"""


def test_event_driven_services_get_their_event_sources(tmp_path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "workers.py").write_text(EVENTS_PROJECT)
    template = build_template(discover(folder))
    resources = template["Resources"]
    sqs = resources["PaymentsFunction"]["Properties"]["Events"]["PaymentsSource"]
    assert sqs["Type"] == "SQS"
    assert sqs["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert sqs["Properties"]["Queue"] == {"Ref": "PaymentsSourceArn"}
    kinesis = resources["ClicksFunction"]["Properties"]["Events"]["ClicksSource"]
    assert kinesis["Type"] == "Kinesis" and kinesis["Properties"]["StartingPosition"] == "LATEST"
    assert kinesis["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    rule = resources["ShippedFunction"]["Properties"]["Events"]["ShippedRule"]
    assert rule == {
        "Type": "EventBridgeRule",
        "Properties": {"Pattern": {"source": ["shop.orders"], "detail-type": ["OrderShipped"]}},
    }
    schedule = resources["DailyReportFunction"]["Properties"]["Events"]["DailyReportSchedule"]
    assert schedule["Type"] == "Schedule"
    assert template["Parameters"]["DailyReportScheduleExpression"]["Default"] == "rate(1 day)"
    assert lint(to_yaml(template)) == []


def test_what_modules_print_at_import_stays_out_of_the_yaml(tmp_path, capsys) -> None:
    yaml = pytest.importorskip("yaml")
    folder = tmp_path / "noisy"
    folder.mkdir()
    (folder / "app.py").write_text(
        "import sys\n"
        "print('connecting to the database...')\n"
        "sys.stdout.write('Resources: {Evil: {Type: AWS::S3::Bucket}}\\n')\n"
        "from pypwext import BaseService, Request\n\n\n"
        "class Ping(BaseService):\n"
        "    route = 'GET /ping'\n\n"
        "    def execute(self, request: Request) -> dict:\n"
        "        return {}\n\n\n"
        "handler = Ping.handler\n"
    )
    assert main(["template", str(folder), "--out", "-"]) == 0
    captured = capsys.readouterr()
    data = yaml.safe_load(captured.out)
    assert list(data["Resources"]) == ["PingFunction"]
    assert data["Resources"]["PingFunction"]["Properties"]["Handler"] == "app.handler"
    assert lint(captured.out) == []
    assert "connecting to the database..." not in captured.out and "Evil" not in captured.out
    assert "connecting to the database...\n" in captured.err  # not lost: on stderr


def test_a_handler_wrapped_by_a_powertools_middleware_is_a_function(tmp_path) -> None:
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            from aws_lambda_powertools.middleware_factory import lambda_handler_decorator

            from pypwext import BaseService


            @lambda_handler_decorator
            def stamped(handler, event, context):
                return handler(event, context)


            class Where(BaseService):
                route = "GET /where"

                def execute(self, data: dict) -> dict:
                    return data


            handler = stamped(Where.handler)
            """
        )
    )
    (function,) = discover(tmp_path)
    assert function.handler == "app.handler"
    assert function.routes == [("GET", "/where")]
