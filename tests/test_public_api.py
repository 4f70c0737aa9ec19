"""The public surface of pypwext is small and explicit: every public module's exported names are
pinned here, so a change to the surface (a name added, renamed or dropped) is a visible decision
made in this file, and docs/api.md (written by scripts/api_page.py) lists the same names.

A public module is one without a leading underscore in its dotted name; its exported names are
its ``__all__``. Their order is ruff's rule (RUF022: isort-style sorted), not repeated here.
"""

from __future__ import annotations

import importlib
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_page = runpy.run_path(str(REPO / "scripts" / "api_page.py"))
public_modules = _page["public_modules"]
render = _page["render"]

# The modules moved into rooms by issue 14, kept for one release: old path -> its public home.
OLD_PATHS = {
    **dict.fromkeys(["pypwext.events", "pypwext.responses", "pypwext.event_classes"], "pypwext.wire"),
    **dict.fromkeys(["pypwext.logging", "pypwext.formatter"], "pypwext.observability.logging"),
    **dict.fromkeys(["pypwext.metrics", "pypwext.context"], "pypwext.observability"),
    "pypwext.tracing": "pypwext.observability.tracing",
    **dict.fromkeys(
        ["pypwext.service", "pypwext.cors", "pypwext.idempotency", "pypwext.routes"], "pypwext.runtime"
    ),
    **dict.fromkeys(["pypwext.batch", "pypwext.eventbridge", "pypwext.s3"], "pypwext.kinds"),
    **dict.fromkeys(
        [
            "pypwext.openapi",
            "pypwext.openapi_constraints",
            "pypwext.openapi_errors",
            "pypwext.template",
            "pypwext.deploy",
            "pypwext.handler_check",
            "pypwext.loader",
            "pypwext.cli",
        ],
        "pypwext.tools",
    ),
    "pypwext.pytest_plugin": "pypwext.testing.plugin",
    "pypwext.packaging": "pypwext.tools.packaging",
}

SURFACE: dict[str, list[str]] = {
    "pypwext": [
        "BadRequest",
        "BaseService",
        "ConfigurationError",
        "Conflict",
        "Cors",
        "DependencyError",
        "DynamoDBChange",
        "DynamoDBStreamBatchService",
        "ErrorAction",
        "ErrorCollector",
        "ErrorWithReturn",
        "EventBridgeEvent",
        "EventService",
        "EventSource",
        "Forbidden",
        "Http",
        "Idempotency",
        "InfoClassification",
        "InternalError",
        "KinesisBatchService",
        "LambdaFunction",
        "LogEntryType",
        "NotFound",
        "Parameter",
        "PayloadTooLarge",
        "PypwextError",
        "Request",
        "Response",
        "S3Object",
        "S3ObjectService",
        "ScheduledService",
        "Secret",
        "ServiceError",
        "ServiceUnavailable",
        "SqsBatchService",
        "TooManyRequests",
        "Unauthorized",
        "UnprocessableEntity",
        "current_collector",
        "fan_out",
        "step",
        "strict",
    ],
    "pypwext.base": ["CONFIDENTIAL", "ErrorAction", "InfoClassification", "LogEntryType"],
    "pypwext.batch": [
        "BatchService",
        "DynamoDBChange",
        "DynamoDBStreamBatchService",
        "KinesisBatchService",
        "SqsBatchService",
    ],
    "pypwext.cli": ["main"],
    "pypwext.codec": [
        "DECIMAL_MAX_DIGITS",
        "DECIMAL_MAX_EXPONENT",
        "DecodeError",
        "EncodeError",
        "InputError",
        "MAX_COUNTED_PROBLEMS",
        "MAX_DEPTH",
        "MAX_PROBLEMS",
        "Problem",
        "converter",
        "describe",
        "dumps",
        "json_form",
        "loads",
        "loads_own",
        "strict",
        "structure",
        "to_jsonable",
        "unstructure",
        "valid_text",
    ],
    "pypwext.context": [
        "Invocation",
        "MAX_CORRELATION_ID_CHARS",
        "current_invocation",
        "fit_correlation_id",
        "invocation_scope",
        "usable_correlation_id",
    ],
    "pypwext.cors": ["Cors"],
    "pypwext.dependencies": [
        "Dependency",
        "Http",
        "HttpClient",
        "LambdaClient",
        "LambdaFunction",
        "Parameter",
        "Secret",
        "fan_out",
    ],
    "pypwext.dependencies.base": [
        "DEFAULT_SAFETY_MARGIN_S",
        "Dependency",
        "library_words",
        "log",
        "log_enabled",
        "remaining_budget_s",
    ],
    "pypwext.dependencies.fanout": ["DEFAULT_MAX_WORKERS", "fan_out"],
    "pypwext.dependencies.http": [
        "CORRELATION_HEADER",
        "DEFAULT_BACKOFF_MAX_S",
        "DEFAULT_BACKOFF_S",
        "DEFAULT_MAX_REDIRECTS",
        "DEFAULT_RETRIES",
        "DEFAULT_RETRY_AFTER_MAX_S",
        "DEFAULT_RETRY_ON",
        "DEFAULT_TIMEOUT",
        "Http",
        "HttpClient",
        "IDEMPOTENT_METHODS",
        "MAX_REDIRECTS",
        "MIN_ATTEMPT_S",
        "UrlTemplate",
        "aws_endpoint",
    ],
    "pypwext.dependencies.lambda_": [
        "ASYNC_PAYLOAD_LIMIT",
        "CLIENT_CONTEXT_LIMIT",
        "LambdaClient",
        "LambdaFunction",
        "SYNC_PAYLOAD_LIMIT",
    ],
    "pypwext.dependencies.parameters": ["DEFAULT_MAX_AGE_S", "Parameter", "Secret"],
    "pypwext.deploy": [
        "BASIC_EXECUTION_POLICY",
        "DEFAULT_MEMORY_MB",
        "DEFAULT_TIMEOUT_S",
        "DeployError",
        "DeployResult",
        "deploy",
        "handler_in_zip",
        "resolve_region",
    ],
    "pypwext.errors": [
        "BadRequest",
        "ConfigurationError",
        "Conflict",
        "DependencyError",
        "ErrorCollector",
        "ErrorWithReturn",
        "Forbidden",
        "InternalError",
        "NotFound",
        "PayloadTooLarge",
        "PypwextError",
        "ServiceError",
        "ServiceUnavailable",
        "TooManyRequests",
        "Unauthorized",
        "UnprocessableEntity",
        "collecting",
        "current_collector",
    ],
    "pypwext.event_classes": ["event_class_sources", "event_input"],
    "pypwext.eventbridge": ["EventBridgeEvent", "EventService", "ScheduledService"],
    "pypwext.events": [
        "EventSource",
        "Headers",
        "MAX_BODY_BYTES",
        "Request",
        "detect_source",
        "parse_request",
    ],
    "pypwext.formatter": ["ServiceFormatter"],
    "pypwext.handler_check": [
        "HandlerError",
        "Reader",
        "check_imported",
        "check_static",
        "directory_reader",
        "explain",
        "handler_string",
        "split_handler",
        "zip_reader",
    ],
    "pypwext.idempotency": ["Idempotency", "http_document"],
    "pypwext.kinds": [
        "BatchService",
        "DynamoDBChange",
        "DynamoDBStreamBatchService",
        "EventBridgeEvent",
        "EventService",
        "KinesisBatchService",
        "S3Client",
        "S3Object",
        "S3ObjectService",
        "ScheduledService",
        "SqsBatchService",
    ],
    "pypwext.loader": ["TargetError", "load_module", "resolve_attribute"],
    "pypwext.logging": [
        "MASK",
        "SENSITIVE_HEADERS",
        "ServiceLogger",
        "UNMASK_ENV",
        "VERBOSE",
        "current_logger",
        "is_credential_name",
        "is_masked",
        "redact",
        "render",
    ],
    "pypwext.metrics": ["ServiceMetrics"],
    "pypwext.observability": [
        "Invocation",
        "MAX_CORRELATION_ID_CHARS",
        "Observability",
        "Observed",
        "ServiceMetrics",
        "current_invocation",
        "fit_correlation_id",
        "invocation_scope",
        "usable_correlation_id",
    ],
    "pypwext.observability.logging": [
        "MASK",
        "SENSITIVE_HEADERS",
        "ServiceLogger",
        "UNMASK_ENV",
        "VERBOSE",
        "current_logger",
        "is_credential_name",
        "is_masked",
        "redact",
        "render",
    ],
    "pypwext.observability.tracing": [
        "active",
        "carry_trace_context",
        "sdk_available",
        "start_trace",
        "trace_call",
        "tracer",
        "wanted",
        "xray_active",
    ],
    "pypwext.openapi": ["ERROR_BODY_SCHEMA", "ERROR_SCHEMA", "SchemaBuilder", "openapi_document"],
    "pypwext.openapi_constraints": ["field_constraints", "validator_constraints"],
    "pypwext.openapi_errors": ["DEPENDENCY_CODES", "operation_errors", "service_errors"],
    "pypwext.packaging": [
        "ARCHITECTURES",
        "HandlerError",
        "LimitError",
        "PYTHON_VERSIONS",
        "PackageResult",
        "PackagingError",
        "RUNTIME_PROVIDED",
        "RequirementError",
        "UNZIPPED_LIMIT",
        "ZIPPED_LIMIT",
        "check_handler",
        "code_sha256",
        "copy_project",
        "find_interpreter",
        "install_requirements",
        "package",
        "precheck_handler",
        "prune",
        "requirements_for",
        "sizes_by_top_level",
        "write_zip",
    ],
    "pypwext.pytest_plugin": [
        "alb_event",
        "api_gateway_event",
        "fake_http",
        "fake_lambda",
        "function_url_event",
        "invoke",
        "lambda_context",
    ],
    "pypwext.responses": ["Response", "from_direct", "is_direct_document", "to_source"],
    "pypwext.routes": ["Api", "ApiHandler", "Match", "Route", "parse_template"],
    "pypwext.runtime": [
        "Api",
        "ApiHandler",
        "BaseService",
        "Cors",
        "Dependency",
        "Handler",
        "Idempotency",
        "Match",
        "Route",
        "ServiceMeta",
        "http_document",
        "parse_template",
        "prepare_class",
        "step",
    ],
    "pypwext.s3": ["S3Client", "S3Object", "S3ObjectService"],
    "pypwext.service": ["BaseService", "Handler", "ServiceMeta", "prepare_class", "step"],
    "pypwext.template": [
        "DEFAULT_MEMORY_MB",
        "DEFAULT_TIMEOUT_S",
        "FunctionSpec",
        "TemplateError",
        "build_template",
        "discover",
        "to_yaml",
    ],
    "pypwext.testing": [
        "ClientContext",
        "CognitoIdentity",
        "FakeHttp",
        "FakeLambdaFunction",
        "HttpCall",
        "InvokeResult",
        "LambdaCall",
        "LambdaContext",
        "alb_event",
        "api_gateway_event",
        "dynamodb_stream_event",
        "dynamodb_value",
        "eventbridge_event",
        "function_url_event",
        "invoke",
        "kinesis_event",
        "lambda_context",
        "read_result",
        "s3_event",
        "scheduled_event",
        "sns_event",
        "sqs_event",
    ],
    "pypwext.testing.plugin": [
        "alb_event",
        "api_gateway_event",
        "fake_http",
        "fake_lambda",
        "function_url_event",
        "invoke",
        "lambda_context",
    ],
    "pypwext.tools": [
        "BASIC_EXECUTION_POLICY",
        "DEFAULT_MEMORY_MB",
        "DEFAULT_TIMEOUT_S",
        "DEPENDENCY_CODES",
        "DeployError",
        "DeployResult",
        "ERROR_BODY_SCHEMA",
        "ERROR_SCHEMA",
        "FunctionSpec",
        "HandlerError",
        "Reader",
        "SchemaBuilder",
        "TargetError",
        "TemplateError",
        "build_template",
        "check_imported",
        "check_static",
        "deploy",
        "directory_reader",
        "discover",
        "explain",
        "field_constraints",
        "handler_in_zip",
        "handler_string",
        "load_module",
        "main",
        "openapi_document",
        "operation_errors",
        "resolve_attribute",
        "resolve_region",
        "service_errors",
        "split_handler",
        "to_yaml",
        "validator_constraints",
        "zip_reader",
    ],
    "pypwext.tools.packaging": [
        "ARCHITECTURES",
        "HandlerError",
        "LimitError",
        "PYTHON_VERSIONS",
        "PackageResult",
        "PackagingError",
        "RUNTIME_PROVIDED",
        "RequirementError",
        "UNZIPPED_LIMIT",
        "ZIPPED_LIMIT",
        "check_handler",
        "code_sha256",
        "copy_project",
        "find_interpreter",
        "install_requirements",
        "package",
        "precheck_handler",
        "prune",
        "requirements_for",
        "sizes_by_top_level",
        "write_zip",
    ],
    "pypwext.tracing": [
        "active",
        "carry_trace_context",
        "sdk_available",
        "start_trace",
        "trace_call",
        "tracer",
        "wanted",
        "xray_active",
    ],
    "pypwext.wire": [
        "EventSource",
        "Headers",
        "MAX_BODY_BYTES",
        "Request",
        "Response",
        "detect_source",
        "event_class_sources",
        "event_input",
        "from_direct",
        "is_direct_document",
        "parse_request",
        "to_source",
    ],
}


def test_every_public_module_is_pinned() -> None:
    assert set(SURFACE) == set(public_modules()), "a public module was added or removed"


@pytest.mark.parametrize("name", sorted(SURFACE))
def test_a_public_module_exports_exactly_its_pinned_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), "a name is exported twice"
    assert sorted(exported) == SURFACE[name]
    for attribute in exported:
        getattr(module, attribute)  # every exported name exists (lazy ones are imported here)


@pytest.mark.parametrize("name", sorted(OLD_PATHS))
def test_an_old_path_re_exports_its_new_home_and_the_migration_page_names_it(name: str) -> None:
    """The modules moved into rooms keep their old import path for one release (issue 14)."""
    old = importlib.import_module(name)
    home = importlib.import_module(OLD_PATHS[name])
    assert set(old.__all__) <= set(dir(home)) | set(getattr(home, "__all__", ()))
    for attribute in old.__all__:
        assert getattr(old, attribute) is getattr(home, attribute), f"{name}.{attribute}"
    assert f"`{name}`" in (REPO / "docs" / "migration.md").read_text(encoding="utf-8")


def test_the_api_page_lists_every_public_name_and_is_up_to_date() -> None:
    page = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert page == render(), "docs/api.md is out of date: run python scripts/api_page.py"
    for module, names in SURFACE.items():
        section = page.split(f"## `{module}`\n", 1)[1].split("\n## ", 1)[0]
        for name in names:
            assert f"- `{name}`" in section, f"{module}.{name} is not on the page"


def test_the_api_page_script_checks_the_page(tmp_path: Path) -> None:
    """``--check`` fails on a stale page and passes once the script wrote it (what a contributor
    runs after changing the surface)."""
    script = str(REPO / "scripts" / "api_page.py")
    page = tmp_path / "api.md"
    page.write_text((REPO / "docs" / "api.md").read_text(encoding="utf-8").replace("- `invoke`", "- `run`"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, script, f"--page={page}", *args], capture_output=True, text=True, cwd=REPO
        )

    stale = run("--check")
    assert stale.returncode == 1 and "out of date" in stale.stderr
    assert run().returncode == 0
    assert run("--check").returncode == 0
    assert page.read_text(encoding="utf-8") == (REPO / "docs" / "api.md").read_text(encoding="utf-8")
