"""The structured logs a service writes, read back from the JSON lines it prints."""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

import attrs
import pytest

import pypwext.observability.logging as pwlog
from pypwext import (
    BaseService,
    ErrorWithReturn,
    InfoClassification,
    LogEntryType,
    NotFound,
    Request,
    step,
)
from pypwext.observability.logging import _redaction
from pypwext.observability.logging._formatter import ServiceFormatter
from pypwext.testing import api_gateway_event, lambda_context
from tests._support.fresh import fresh_python
from tests._support.logs import log_entries

PII = {"classification": InfoClassification.PII}
_names = itertools.count()


def unique(prefix: str = "svc") -> str:
    """A service name no other test uses (each name is one Powertools logger)."""
    return f"{prefix}-{next(_names)}-test"


@pytest.fixture
def debug_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")


@attrs.frozen
class Address:
    street: str = attrs.field(metadata=PII)
    city: str


@attrs.frozen
class Customer:
    id: int
    email: str = attrs.field(metadata=PII)
    addresses: list[Address] = attrs.Factory(list)


@attrs.frozen
class Batch:
    customers: list[Customer]
    note: str


def test_every_entry_carries_the_fields(debug_level: None, capsys: pytest.CaptureFixture[str]) -> None:
    class Fields(BaseService):
        service = unique("fields")
        operation = "read-fields"

        def execute(self, request: Request) -> dict[str, int]:
            self.logger.info("working")
            return {"n": 1}

    ctx = lambda_context("fields-fn", memory_mb=256)
    Fields.handler(api_gateway_event("GET", "/things"), ctx)
    logged = log_entries(capsys.readouterr().out)
    assert len(logged) == 8  # enter/exit of validate, execute (with the user's line) and render; the summary
    for entry in logged:
        assert {
            "level",
            "timestamp",
            "message",
            "service",
            "classification",
            "type",
            "operation",
            "location",
        } <= set(entry)
        assert entry["service"] == Fields.service and entry["operation"] == "read-fields"
        assert entry["classification"] == "NA" and entry["type"] == "STD"
        assert entry["function_name"] == "fields-fn" and entry["function_memory_size"] == 256
        assert entry["function_arn"].endswith(":function:fields-fn")
        assert entry["function_request_id"] == ctx.aws_request_id
        assert isinstance(entry["cold_start"], bool)
        assert "xray_trace_id" not in entry
    assert [e["level"] for e in logged] == [
        "DEBUG",
        "DEBUG",
        "DEBUG",
        "INFO",
        "DEBUG",
        "DEBUG",
        "DEBUG",
        "INFO",
    ]


def test_xray_trace_id_from_the_lambda_trace_header(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
    )

    class Traced(BaseService):
        service = unique()
        tracing = False

        def execute(self, request: Request) -> None:
            return None

    Traced.handler({"direct": 1}, lambda_context())
    (summary,) = log_entries(capsys.readouterr().out)
    assert summary["xray_trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"


def test_service_name_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    class OrderHistoryReader(BaseService):
        def execute(self, request: Request) -> None:
            return None

    assert OrderHistoryReader().logger.service == "order-history-reader"
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "shop")

    class Other(BaseService):
        def execute(self, request: Request) -> None:
            return None

    class Named(BaseService):
        service = "named"

        def execute(self, request: Request) -> None:
            return None

    assert Other().logger.service == "shop" and Named().logger.service == "named"


@pytest.mark.parametrize("variable", ["LOG_LEVEL", "POWERTOOLS_LOG_LEVEL"])
def test_log_level_from_the_environment(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, "warning")

    class Quiet(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.info("not shown")
            self.logger.warning("shown")

    Quiet.handler({}, None)
    assert [e["message"] for e in log_entries(capsys.readouterr().out)] == ["shown"]


def test_verbose_level(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert pwlog.VERBOSE == 15 and logging.getLevelName(15) == "VERBOSE"
    monkeypatch.setenv("LOG_LEVEL", "VERBOSE")

    class Chatty(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.verbose("details")
            self.logger.debug("too much")

    Chatty.handler({}, None)
    logged = log_entries(capsys.readouterr().out)
    assert next((e["level"], e["message"]) for e in logged) == ("VERBOSE", "details")
    assert all(e["level"] != "DEBUG" for e in logged)


def test_levels_are_the_logging_modules_numbers_and_names() -> None:
    from pypwext.observability.logging import _levels

    for name in ("NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        assert getattr(_levels, name) == getattr(logging, name), name
        assert _levels.level_number(name.lower()) == getattr(logging, name)
    assert (
        _levels.level_number("warn") == logging.WARNING and _levels.level_number("FATAL") == logging.CRITICAL
    )
    assert _levels.level_number("LOUD") is None and _levels.level_name(12) == logging.getLevelName(12)
    logging.addLevelName(25, "NOTICE")  # a level a user named: known by name and shown by its name
    assert _levels.level_number("notice") == 25 and _levels.level_name(25) == "NOTICE"


def test_a_service_without_the_logging_module_still_knows_every_level(tmp_path: Any) -> None:
    """pypwext writes its own lines and imports the ``logging`` module only for the Powertools
    Logger underneath: LOG_LEVEL=VERBOSE still works without it, and once the Logger is built,
    ``logging`` knows the VERBOSE name too."""
    program = (
        "import sys, json\n"
        "from pypwext import BaseService, Request\n"
        "class Chatty(BaseService):\n"
        "    service = 'chatty'\n"
        "    def execute(self, request: Request) -> None:\n"
        "        self.logger.verbose('details')\n"
        "        self.logger.debug('too much')\n"
        "Chatty.handler({}, None)\n"
        "before = 'logging' in sys.modules\n"
        "Chatty().logger.powertools\n"
        "import logging\n"
        "print(json.dumps([before, logging.getLevelName(15)]))\n"
    )
    result, lines = fresh_python(
        program, env={"LOG_LEVEL": "VERBOSE", "PATH": "/usr/bin:/bin"}, cwd=str(tmp_path)
    )
    assert result == [False, "VERBOSE"]
    assert [(e["level"], e["message"]) for e in log_entries("\n".join(lines))] == [
        ("VERBOSE", "details"),
        ("INFO", "INVOKE -> 204"),
    ]


def test_lifecycle_and_step_entries(debug_level: None, capsys: pytest.CaptureFixture[str]) -> None:
    class Steps(BaseService):
        service = unique()
        operation = "steps"

        def execute(self, data: dict[str, int]) -> dict[str, int]:
            return {"double": self.double(data["n"])}

        @step(operation="doubling")
        def double(self, n: int) -> int:
            return 2 * n

    Steps.handler({"n": 21}, None)
    logged = log_entries(capsys.readouterr().out)
    messages = [
        (e["level"], e["message"]["msg"], e["operation"]) for e in logged if isinstance(e["message"], dict)
    ]
    assert messages == [
        ("DEBUG", "enter validate", "steps"),
        ("DEBUG", "exit validate", "steps"),
        ("DEBUG", "enter execute", "steps"),
        ("DEBUG", "enter double", "doubling"),
        ("INFO", "exit double", "doubling"),
        ("DEBUG", "exit execute", "steps"),
        ("DEBUG", "enter render", "steps"),
        ("DEBUG", "exit render", "steps"),
    ]
    by_msg = {e["message"]["msg"]: e for e in logged if isinstance(e["message"], dict)}
    assert by_msg["enter execute"]["message"]["args"] == {"n": 21}
    assert by_msg["exit execute"]["message"]["return"] == {"double": 42}
    assert by_msg["enter double"]["message"]["args"] == 21
    assert by_msg["exit double"]["message"]["return"] == 42
    # location: the user's method, where it is defined
    assert (
        by_msg["enter execute"]["location"] == f"execute:{Steps.execute.__wrapped__.__code__.co_firstlineno}"
    )  # type: ignore[attr-defined]
    assert by_msg["exit double"]["location"] == f"double:{Steps.double.__wrapped__.__code__.co_firstlineno}"  # type: ignore[attr-defined]


def test_at_info_a_successful_invocation_writes_one_line_and_renders_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rendered: list[Any] = []
    real = pwlog.render
    monkeypatch.setattr(_redaction, "render", lambda value: rendered.append(value) or real(value))

    class Busy(BaseService):
        service = unique()

        def execute(self, data: dict[str, int]) -> dict[str, int]:
            return {"sum": self.add(data["a"], data["b"])}

        def add(self, a: int, b: int) -> int:
            return a + b

    Busy.handler(api_gateway_event("POST", "/sum", body={"a": 1, "b": 2}), lambda_context())
    (summary,) = log_entries(capsys.readouterr().out)
    assert rendered == []
    assert summary["level"] == "INFO" and summary["message"] == "POST /sum -> 200"
    assert summary["location"] == f"{__name__}.{Busy.__qualname__}"
    assert {k: summary[k] for k in ("source", "method", "path", "status", "errors")} == {
        "source": "rest",
        "method": "POST",
        "path": "/sum",
        "status": 200,
        "errors": [],
    }
    assert summary["duration_ms"] >= 0


def test_an_escaping_error_is_logged_once_where_it_was_raised(capsys: pytest.CaptureFixture[str]) -> None:
    class Boom(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.explode()

        @step
        def explode(self) -> None:
            raise RuntimeError("disk on fire")

    assert Boom.handler({}, None)["statusCode"] == 500
    logged = log_entries(capsys.readouterr().out)
    errors = [e for e in logged if e["level"] == "ERROR"]
    assert len(errors) == 1
    (error,) = errors
    assert error["exception_name"] == "RuntimeError"
    assert "RuntimeError: disk on fire" in error["exception"]
    assert error["location"] == f"explode:{Boom.explode.__wrapped__.__code__.co_firstlineno + 2}"  # type: ignore[attr-defined]
    assert logged[-1]["status"] == 500 and logged[-1]["errors"] == [500]


def test_audit_entry_per_invocation_at_any_level(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "ERROR")

    class Pay(BaseService):
        service = unique()
        log_type = LogEntryType.AUDIT

        def execute(self, data: dict[str, int]) -> dict[str, int]:
            if data["amount"] < 0:
                raise NotFound("no such account")
            return data

    Pay.handler({"amount": 5}, None)
    Pay.handler({"amount": -1}, None)
    first, second = log_entries(capsys.readouterr().out)
    assert first["type"] == second["type"] == "AUDIT"
    assert (first["outcome"], first["status"], first["errors"]) == ("success", 200, [])
    assert (second["outcome"], second["status"], second["errors"]) == ("failure", 404, [404])
    assert second["duration_ms"] >= 0


# --- redaction ----------------------------------------------------------------------------


def test_pii_service_masks_arguments_and_results(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    class Secretive(BaseService):
        service = unique()
        classification = InfoClassification.PII

        def execute(self, data: dict[str, str]) -> dict[str, str]:
            return data

    Secretive.handler({"ssn": "19120102-01921"}, None)
    out = capsys.readouterr().out
    assert "19120102-01921" not in out
    enter = next(e for e in log_entries(out) if isinstance(e["message"], dict))
    assert enter["message"]["args"] == pwlog.MASK.format(classification="PII") == "*** redacted (PII) ***"


def test_field_metadata_masks_at_any_depth(debug_level: None, capsys: pytest.CaptureFixture[str]) -> None:
    class Import(BaseService):
        service = unique()

        def execute(self, batch: Batch) -> int:
            return len(batch.customers)

    body = {
        "note": "weekly",
        "customers": [
            {
                "id": 1,
                "email": "ada@example.com",
                "addresses": [{"street": "1 Secret Lane", "city": "London"}],
            }
        ],
    }
    Import.handler(api_gateway_event("POST", "/import", body=body), None)
    out = capsys.readouterr().out
    assert "ada@example.com" not in out and "Secret Lane" not in out
    enter = next(
        e
        for e in log_entries(out)
        if isinstance(e["message"], dict) and e["message"]["msg"] == "enter execute"
    )
    assert enter["message"]["args"] == {
        "note": "weekly",
        "customers": [
            {
                "id": 1,
                "email": "*** redacted (PII) ***",
                "addresses": [{"street": "*** redacted (PII) ***", "city": "London"}],
            }
        ],
    }


def test_sensitive_headers_and_cookies_are_always_masked(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    class Echo(BaseService):
        service = unique()

        def execute(self, request: Request) -> dict[str, Any]:
            self.logger.info("raw", headers=dict(request.headers))
            return {}

    secrets = {
        "Authorization": "Bearer tok-1",
        "X-Api-Key": "key-2",
        "x-amz-security-token": "tok-3",
        "Cookie": "session=cookie-4",
        "X-Trace": "visible",
    }
    Echo.handler(api_gateway_event("GET", "/", headers=secrets, cookies={"id": "cookie-5"}), None)
    out = capsys.readouterr().out
    for value in ("tok-1", "key-2", "tok-3", "cookie-4", "cookie-5"):
        assert value not in out
    enter = next(e for e in log_entries(out) if isinstance(e["message"], dict))
    shown = enter["message"]["args"]
    assert shown["method"] == "GET" and shown["headers"]["X-Trace"] == "visible"
    assert shown["headers"]["Authorization"] == "*** redacted (AUTHORIZATION_INFO) ***"
    assert shown["cookies"] == {
        "session": "*** redacted (AUTHORIZATION_INFO) ***",
        "id": "*** redacted (AUTHORIZATION_INFO) ***",
    }


def test_collected_pii_errors_are_masked(debug_level: None, capsys: pytest.CaptureFixture[str]) -> None:
    class Lookup(BaseService):
        service = unique()
        just_status_code = False

        def execute(self, data: dict[str, int]) -> dict[str, str]:
            self.find(f"user{data['n']}@example.com")
            return {}

        @step(classification=InfoClassification.PII)
        def find(self, email: str) -> None:
            raise ErrorWithReturn(
                f"no customer {email}",
                code=404,
                classification=InfoClassification.PII,
                details={"email": email},
            )

    response = Lookup.handler({"n": 7}, None)
    assert response["statusCode"] == 404
    assert "user7@example.com" in json.dumps(response)  # the caller gets the error; the log does not
    out = capsys.readouterr().out
    assert "user7@example.com" not in out
    exit_render = next(
        e for e in log_entries(out) if isinstance(e["message"], dict) and e["message"]["msg"] == "exit render"
    )
    assert exit_render["message"]["return"]["errors"] == [
        {
            "code": 404,
            "msg": "*** redacted (PII) ***",
            "classification": "PII",
            "details": "*** redacted (PII) ***",
        }
    ]


def test_exception_messages_of_a_pii_service_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    class Fragile(BaseService):
        service = unique()
        classification = InfoClassification.PII

        def execute(self, data: dict[str, str]) -> None:
            raise ValueError(f"cannot parse {data['email']}")

    Fragile.handler({"email": "eve@example.com"}, None)
    out = capsys.readouterr().out
    assert "eve@example.com" not in out
    (error,) = [e for e in log_entries(out) if e["level"] == "ERROR"]
    assert error["exception"].endswith("ValueError: *** redacted (PII) ***")


def test_unmasking_for_a_debugging_session(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv(pwlog.UNMASK_ENV, "true")
    monkeypatch.setattr(_redaction, "_unmasked", None)

    class Open(BaseService):
        service = unique()
        classification = InfoClassification.PII

        def execute(self, data: dict[str, str]) -> None:
            return None

    Open.handler({"ssn": "19120102-01921"}, None)
    logged = log_entries(capsys.readouterr().out)
    assert logged[0]["level"] == "WARNING" and pwlog.UNMASK_ENV in logged[0]["message"]
    assert logged[1]["message"]["args"] == {"ssn": "19120102-01921"}
    monkeypatch.setattr(_redaction, "_unmasked", None)


def test_user_entries_are_redacted_by_their_classification(capsys: pytest.CaptureFixture[str]) -> None:
    class Careful(BaseService):
        service = unique()
        classification = InfoClassification.PII

        def execute(self, data: dict[str, str]) -> None:
            self.logger.info("looked up", email=data["email"])
            self.logger.info("counted", classification=InfoClassification.NA, count=3)

    Careful.handler({"email": "kim@example.com"}, None)
    out = capsys.readouterr().out
    assert "kim@example.com" not in out
    first, second, _summary = log_entries(out)
    assert first["email"] == "*** redacted (PII) ***" and first["location"].startswith("execute:")
    assert second["count"] == 3 and second["classification"] == "NA"


# --- correlation ids ------------------------------------------------------------------------


def test_correlation_id_is_the_request_id_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    class Plain(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            return None

    event = api_gateway_event("GET", "/")
    Plain.handler(event, lambda_context())
    (summary,) = log_entries(capsys.readouterr().out)
    assert summary["correlation_id"] == event["requestContext"]["requestId"]


def test_correlation_id_from_a_jmespath(capsys: pytest.CaptureFixture[str]) -> None:
    class Correlated(BaseService):
        service = unique()
        correlation_id_path = 'headers."x-correlation-id"'

        def execute(self, request: Request) -> None:
            return None

    ctx = lambda_context()
    Correlated.handler(api_gateway_event("GET", "/", headers={"x-correlation-id": "abc-123"}), ctx)
    Correlated.handler({"no": "headers"}, ctx)
    first, second = log_entries(capsys.readouterr().out)
    assert first["correlation_id"] == "abc-123"
    assert second["correlation_id"] == ctx.aws_request_id  # not in the event: the request id


def test_correlation_id_path_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="correlation_id_path"):

        class Wrong(BaseService):
            correlation_id_path = 3  # type: ignore[assignment]


# --- the formatter --------------------------------------------------------------------------


def test_formatter_writes_what_powertools_default_writes() -> None:
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    default = LambdaPowertoolsFormatter(service="orders")
    fast = ServiceFormatter(service="orders")
    default.append_keys(tenant="acme")
    fast.append_keys(tenant="acme")
    try:
        raise KeyError("k")
    except KeyError:
        import sys

        exc_info = sys.exc_info()
    for msg, exc in (({"msg": "hello", "args": [1]}, None), ("plain %s", None), ("oops", exc_info)):
        record = logging.LogRecord(
            "orders", logging.ERROR, __file__, 12, msg, ("x",) if "%s" in str(msg) else (), exc
        )
        record.funcName = "handler"
        record.order_id = 7
        theirs = json.loads(default.format(record))
        ours = json.loads(fast.format(record))
        theirs.pop("stack_trace", None)
        assert ours == theirs
        assert list(ours)[:4] == ["level", "location", "message", "timestamp"]


def test_formatter_plugs_into_a_powertools_logger(capsys: pytest.CaptureFixture[str]) -> None:
    from aws_lambda_powertools import Logger

    logger = Logger(
        service=unique("plain"), logger_formatter=ServiceFormatter(), stream=__import__("sys").stdout
    )
    logger.append_keys(region="eu-north-1")
    logger.info("hi", extra={"n": 1})
    (entry,) = log_entries(capsys.readouterr().out)
    assert entry["message"] == "hi" and entry["region"] == "eu-north-1" and entry["n"] == 1
    assert entry["service"] == logger.service and entry["location"].startswith("test_formatter_plugs_into")


def test_a_value_the_codec_cannot_encode_is_logged_by_its_repr(capsys: pytest.CaptureFixture[str]) -> None:
    class Odd:
        def __repr__(self) -> str:
            return "<odd>"

    class Strange(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.info("odd", thing=Odd())

    Strange.handler({}, None)
    assert log_entries(capsys.readouterr().out)[0]["thing"] == "<odd>"


# --- without Powertools underneath, and with it -----------------------------------------------


def _run_both_ways(capsys: pytest.CaptureFixture[str], through_powertools: bool) -> list[dict[str, Any]]:
    """One invocation of a service that writes every kind of entry, with or without the
    Powertools logger underneath; the entries without their timestamps."""

    class Both(BaseService):
        service = "both-ways"
        classification = InfoClassification.PII

        @step(classification=InfoClassification.NA)
        def lookup(self, key: str) -> str:
            return key.upper()

        def execute(self, request: Request) -> dict[str, str]:
            self.logger.info("found %s of %d", "one", 3, classification=InfoClassification.NA, n=3)
            self.logger.warning({"msg": "a dict", "email": "ada@example.com"})
            try:
                raise ValueError("bad value")
            except ValueError:
                self.logger.exception("handled", classification=InfoClassification.NA)
            return {"key": self.lookup("k")}

    if through_powertools:
        Both().logger.powertools.setLevel(logging.DEBUG)
    else:
        Both().logger.setLevel(logging.DEBUG)
    event = api_gateway_event("GET", "/things/1")
    event["requestContext"]["requestId"] = "request-1"
    Both.handler(event, lambda_context(aws_request_id="lambda-request-1"))
    found = log_entries(capsys.readouterr().out)
    for entry in found:
        entry.pop("timestamp")
        entry.pop("duration_ms", None)
        if "exception" in entry:  # the traceback names its own frames: compare its last line
            entry["exception"] = entry["exception"].splitlines()[-1]
    return found


def test_entries_are_the_same_with_and_without_powertools_underneath(
    capsys: pytest.CaptureFixture[str],
) -> None:
    direct = _run_both_ways(capsys, through_powertools=False)
    through = _run_both_ways(capsys, through_powertools=True)
    mine = [e for e in direct if e["location"].startswith("execute:") and not isinstance(e["message"], dict)]
    assert [e["message"] for e in mine] == [
        "found one of 3",
        pwlog.MASK.format(classification="PII"),
        "handled",
    ]
    assert mine[0]["n"] == 3 and mine[2]["exception"] == "ValueError: bad value"
    assert [e["message"] for e in direct][-1] == "GET /things/1 -> 200"
    assert len(direct) == 12  # the three above, 8 lifecycle and step entries, the summary
    for ours, theirs in zip(direct, through, strict=True):
        ours["cold_start"] = theirs["cold_start"]  # only the first invocation of the process is cold
        assert ours == theirs


def test_a_handler_added_to_the_powertools_logger_sees_every_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    class Observed(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.info("hello")

    Observed().logger.powertools.addHandler(Keep())
    Observed.handler({}, None)
    assert [r.getMessage() for r in seen] == ["hello", "INVOKE -> 204"]
    assert [e["message"] for e in log_entries(capsys.readouterr().out)] == ["hello", "INVOKE -> 204"]


def test_a_log_level_that_is_no_level_logs_at_info_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")

    class Misconfigured(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.debug("hidden")
            self.logger.info("shown")

    assert Misconfigured.handler({}, None)["statusCode"] == 204
    logged = log_entries(capsys.readouterr().out)
    assert logged[0]["level"] == "WARNING" and "'LOUD' is not a level" in logged[0]["message"]
    assert [e["message"] for e in logged[1:]] == ["shown", "INVOKE -> 204"]


@pytest.mark.parametrize(
    ("lambda_level", "own", "expected", "warned"),
    [
        ("WARN", "DEBUG", logging.WARNING, True),
        ("DEBUG", "ERROR", logging.DEBUG, False),
        ("ERROR", "", logging.ERROR, False),
    ],
)
def test_lambda_advanced_logging_controls_win(
    lambda_level: str, own: str, expected: int, warned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", lambda_level)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", own)
    level, warning = pwlog.resolve_level()
    assert level == expected
    assert (warning is not None and "more verbose than Lambda's" in warning) is warned


def test_the_first_invocation_writes_its_line_without_importing_powertools() -> None:
    program = (
        "import io, json, sys, contextlib\n"
        f"sys.path.insert(0, {str(pwlog.__file__).rsplit('/pypwext/', 1)[0]!r})\n"
        "from examples.orders.app import handler\n"
        "event = {'httpMethod': 'POST', 'path': '/orders', 'headers': {}, 'requestContext': {'requestId': 'r'},\n"
        "         'body': json.dumps({'id': 1, 'description': 'd', 'items': [{'id': 2, 'quantity': 3, 'description': 'x'}]})}\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    answer = handler(event, None)\n"
        "print(json.dumps({'status': answer['statusCode'], 'lines': out.getvalue().splitlines(),\n"
        "                  'powertools': sorted(m for m in sys.modules if m.startswith('aws_lambda_powertools'))}))\n"
    )
    result = fresh_python(program)[0]
    assert result["status"] == 201
    (line,) = result["lines"]
    assert json.loads(line)["message"] == "POST /orders -> 201"
    assert result["powertools"] == []


def test_set_level_takes_names_and_numbers_and_refuses_what_is_no_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Tunable(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.debug("fine detail")

    logger = Tunable().logger
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        logger.setLevel("LOUD")
    logger.setLevel("debug")
    Tunable.handler({}, None)
    assert "fine detail" in [e["message"] for e in log_entries(capsys.readouterr().out)]
    logger.setLevel(logging.WARNING)
    Tunable.handler({}, None)
    assert log_entries(capsys.readouterr().out) == []


def test_invocation_fields_are_encoded_as_the_encoder_would():
    from pypwext.observability.logging._encoder import _encode_invocation
    from pypwext.observability.logging._invocation import invocation_fields

    class Context:
        function_name = "orders"
        memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
        aws_request_id = 'r-\u00e9"1'

    class Partial:  # a stand-in context without the ARN and memory
        function_name = "orders"
        aws_request_id = "r-2"

    samples = [
        invocation_fields(Context(), "c-1", True, ""),
        invocation_fields(Context(), "c-1", False, "Root=1-abc;Parent=def;Sampled=1"),
        invocation_fields(Context(), None, False, ""),
        invocation_fields(Partial(), "c-2", False, ""),
        invocation_fields(None, None, True, ""),
        {**invocation_fields(Context(), "c", False, ""), "extra": [1, {"a": None}]},
        {
            "cold_start": False,
            "function_name": "f",
            "function_memory_size": ["unhashable"],
            "function_arn": "a",
        },
    ]
    for fields in samples * 2:  # the second time from what was encoded once
        assert json.loads("{" + _encode_invocation(fields) + "}") == fields
        assert (
            _encode_invocation(fields) == json.dumps(fields, separators=(",", ":"), ensure_ascii=False)[1:-1]
        )


def test_a_deep_traceback_is_bounded_to_its_innermost_frames(capsys: pytest.CaptureFixture[str]) -> None:
    """A failure deep in a recursion logs the innermost TRACEBACK_FRAMES frames, says how many
    outer ones it left out, and keeps the message, the cause and the raising location."""

    class Deep(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            try:
                dig(200)
            except ValueError as exc:
                raise KeyError("lookup failed") from exc

    def dig(n: int) -> None:
        if n == 0:
            raise ValueError("bottom reached")
        dig(n - 1)

    assert Deep.handler({}, None)["statusCode"] == 500
    (error,) = [e for e in log_entries(capsys.readouterr().out) if e["level"] == "ERROR"]
    text = error["exception"]
    assert "outer frames not shown" in text
    assert text.count('File "') <= 2 * pwlog.TRACEBACK_FRAMES
    assert "ValueError: bottom reached" in text and text.endswith("KeyError: 'lookup failed'")
    assert "^^^" not in text
    assert error["location"] == f"execute:{Deep.execute.__wrapped__.__code__.co_firstlineno + 4}"  # type: ignore[attr-defined]


@attrs.frozen
class _Line:
    sku: str
    token: str = attrs.field(metadata=PII)


@attrs.frozen
class _BigOrder:
    lines: list[_Line]
    tags: dict[str, int]


def test_a_debug_line_shows_at_most_render_items_of_a_huge_body(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """With 20,000 lines in the body, each DEBUG entry/exit line shows RENDER_ITEMS of them and
    counts the rest; classified fields of the items shown stay masked; the answer is complete."""
    n = pwlog.RENDER_ITEMS

    class Big(BaseService):
        service = unique()

        def execute(self, order: _BigOrder) -> dict[str, int]:
            return {"lines": len(order.lines), "tags": len(order.tags)}

    body = {
        "lines": [{"sku": f"s{i}", "token": f"secret-{i}"} for i in range(20_000)],
        "tags": {f"t{i}": i for i in range(n + 5)},
    }
    event = api_gateway_event("POST", "/big", body=body)
    answer = Big.handler(event, lambda_context())
    assert json.loads(answer["body"]) == {"lines": 20_000, "tags": n + 5}
    out = capsys.readouterr().out
    assert "secret-" not in out
    (enter,) = [
        e
        for e in log_entries(out)
        if isinstance(e["message"], dict) and e["message"]["msg"] == "enter execute"
    ]
    lines = enter["message"]["args"]["lines"]
    assert len(lines) == n + 1 and lines[-1] == f"... {20_000 - n} more items"
    assert lines[0] == {"sku": "s0", "token": "*** redacted (PII) ***"}
    tags = enter["message"]["args"]["tags"]
    assert len(tags) == n + 1 and tags["..."] == "5 more keys"
    assert max(len(line) for line in out.splitlines()) < 50_000


def test_the_last_line_of_a_logged_traceback_is_pythons(capsys: pytest.CaptureFixture[str]) -> None:
    """The exception line reads as Python prints it: module-qualified name, message, notes; an
    exception whose str() fails still gets its line."""

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    class Noted(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            if request.json().get("unprintable"):
                raise Unprintable()
            err = ValueError("bad value")
            vars(err)["__notes__"] = ["while pricing item 3"]  # err.add_note(...), Python 3.11+
            raise err

    assert Noted.handler({}, None)["statusCode"] == 500
    assert Noted.handler({"unprintable": True}, None)["statusCode"] == 500
    noted, unprintable = [e for e in log_entries(capsys.readouterr().out) if e["level"] == "ERROR"]
    assert noted["exception"].endswith("\nValueError: bad value\nwhile pricing item 3")
    name = f"{Unprintable.__module__}.{Unprintable.__qualname__}"
    assert unprintable["exception"].endswith(f"\n{name}: <exception str() failed>")
