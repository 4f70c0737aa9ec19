"""Secrets planted in requests, grepped for in every line a service prints to stdout.

Each attack plants a value in a field classified PII or AUTHORIZATION_INFO, or in a header or
query parameter whose name says it carries a credential, lets the service copy it wherever a
careless service would (a plain dict logged at DEBUG, an exception message, a traceback), and
reads back every line on stdout: the value is in none of them, every line is still JSON.
"""

from __future__ import annotations

import copy
import decimal
import itertools
import json
import threading
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypwext import BaseService, InfoClassification, LogEntryType, Request
from pypwext.testing import api_gateway_event, function_url_event, lambda_context, sqs_event
from tests._support.aws_samples import sample
from tests._support.logs import json_lines

PII = {"classification": InfoClassification.PII}
AUTH = {"classification": InfoClassification.AUTHORIZATION_INFO}
EMAIL = "ada.lovelace@example.com"
PASSWORD = 'hunter2-"quoted"\\back\nslash'  # JSON-escaped in a line: masked in its escaped form
CARD = 4111111111111111
SALARY = decimal.Decimal("98765.43")
_names = itertools.count()


def unique(prefix: str = "mask") -> str:
    return f"{prefix}-{next(_names)}-test"


def assert_nowhere(out: str, *secrets: str) -> list[dict[str, Any]]:
    logged = json_lines(out, every=True)
    assert logged, "the service wrote no line"
    for secret in secrets:
        assert secret not in out, f"{secret!r} leaked into a log line"
        escaped = json.dumps(secret)[1:-1]
        assert escaped not in out, f"{secret!r} leaked (JSON-escaped) into a log line"
    return logged


@pytest.fixture
def debug_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")


@attrs.frozen
class Signup:
    id: int
    tier: str
    email: str = attrs.field(metadata=PII)
    password: str = attrs.field(metadata=AUTH)
    card: int = attrs.field(default=0, metadata=PII)
    salary: decimal.Decimal = attrs.field(default=decimal.Decimal(0), metadata=PII)


BODY = {"id": 7, "tier": "standard", "email": EMAIL, "password": PASSWORD, "card": CARD, "salary": "98765.43"}


def signup_service(behaviour: str, powertools: bool = False) -> type[BaseService]:
    class Careless(BaseService):
        service = unique()
        just_status_code = False

        def execute(self, data: Signup) -> dict[str, Any]:
            copied = {"who": data.email, "secret": data.password, "card": data.card, "pay": data.salary}
            if behaviour == "dict-args":
                self.logger.debug("copied %s", copied)
            elif behaviour == "dict-extra":
                self.logger.debug("copied", extra={"copy": copied})
            elif behaviour == "dict-message":
                self.logger.debug(copied)
            elif behaviour == "fields":
                self.logger.info("copied", copy=[data.email, data.password], n=data.card, pay=data.salary)
            elif behaviour == "f-string":
                self.logger.warning(f"signing up {data.email} with {data.password!r}, card {data.card}")
            elif behaviour == "exception":
                raise ValueError(
                    f"bad address {data.email} for {data.password!r} ({data.card}, {data.salary})"
                )
            elif behaviour == "chained":
                try:
                    {}[data.password]
                except KeyError as exc:
                    raise RuntimeError(f"no account for {data.email}") from exc
            elif behaviour == "logged-exception":
                try:
                    raise LookupError(data.email)
                except LookupError:
                    self.logger.exception("lookup failed for %s", data.email)
            elif behaviour == "traceback-source":
                assert data.email != "ada.lovelace@example.com", data.password
            return {"id": data.id}

    if powertools:
        Careless().logger.powertools  # noqa: B018  (every entry goes through Powertools from now on)
    return Careless


BEHAVIOURS = [
    "dict-args",
    "dict-extra",
    "dict-message",
    "fields",
    "f-string",
    "exception",
    "chained",
    "logged-exception",
    "traceback-source",
]


@pytest.mark.parametrize("powertools", [False, True], ids=["direct", "powertools"])
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_classified_value_is_masked_wherever_the_service_copies_it(
    behaviour: str, powertools: bool, debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    service = signup_service(behaviour, powertools)
    event = api_gateway_event("POST", "/signups", body=BODY)
    answer = service.handler(event, lambda_context("signups"))
    assert answer["statusCode"] in (200, 500)
    logged = assert_nowhere(capsys.readouterr().out, EMAIL, PASSWORD, str(CARD), str(SALARY))
    text = json.dumps(logged)
    assert "*** redacted (PII) ***" in text  # the line that carried it is there, masked
    assert any(str(e["message"]).startswith("POST /signups ->") for e in logged)  # the summary
    assert "standard" in text or behaviour not in ("dict-args", "dict-extra")  # unclassified values stay


def test_a_classified_number_masked_in_a_line_leaves_the_line_json(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    service = signup_service("dict-extra")
    service.handler(api_gateway_event("POST", "/signups", body=BODY), lambda_context())
    logged = assert_nowhere(capsys.readouterr().out, str(CARD))
    copied = next(e for e in logged if e.get("message") == "copied")["copy"]
    assert copied["card"] == "*** redacted (PII) ***" and copied["pay"] == "*** redacted (PII) ***"


def test_a_pii_service_masks_every_value_of_its_input_by_value(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    class Private(BaseService):
        service = unique()
        classification = InfoClassification.PII

        def execute(self, data: dict[str, str]) -> None:
            self.logger.info("looked up", classification=InfoClassification.NA, who=dict(data))
            raise KeyError(data["name"])

    Private.handler({"name": "Grace Hopper", "city": "Arlington"}, lambda_context())
    logged = assert_nowhere(capsys.readouterr().out, "Grace Hopper", "Arlington")
    assert next(e for e in logged if e["message"] == "looked up")["who"] == {
        "name": "*** redacted (PII) ***",
        "city": "*** redacted (PII) ***",
    }


def test_values_are_masked_only_during_their_invocation(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    class Echo(BaseService):
        service = unique()

        def execute(self, data: Signup) -> None:
            self.logger.info("note", text=f"{EMAIL} and {data.tier}")

    Echo.handler(api_gateway_event("POST", "/", body=BODY), lambda_context())
    first = [e for e in json_lines(capsys.readouterr().out, every=True) if e["message"] == "note"]
    assert first[0]["text"] == "*** redacted (PII) *** and standard"
    other = {**BODY, "email": "grace@example.com"}
    Echo.handler(api_gateway_event("POST", "/", body=other), lambda_context())
    second = [e for e in json_lines(capsys.readouterr().out, every=True) if e["message"] == "note"]
    assert second[0]["text"] == f"{EMAIL} and standard"  # not classified in this invocation


def test_a_batch_record_field_is_masked_in_every_line(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypwext.kinds._batch import SqsBatchService

    @attrs.frozen
    class Customer:
        id: int
        email: str = attrs.field(metadata=PII)

    class Import(SqsBatchService):
        service = unique()

        def process_record(self, record: Customer) -> None:
            self.logger.info("importing", raw={"email": record.email})
            raise ValueError(f"duplicate {record.email}")

    answer = Import.handler(sqs_event([{"id": 1, "email": EMAIL}]), lambda_context())
    assert len(answer["batchItemFailures"]) == 1
    assert_nowhere(capsys.readouterr().out, EMAIL)


# --- credentials by name ------------------------------------------------------------------------

CREDENTIAL_NAMES = [
    "Authorization",
    "Proxy-Authorization",
    "X-Auth-Token",
    "X-Api-Key",
    "Cookie",
    "Set-Cookie",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "passwd",
    "secret",
    "token",
    "session",
    "signature",
    "sig",
    "X-CSRF-Token",
    "X-Session-Id",
    "Ocp-Apim-Subscription-Key",
]
WORDS = [
    ("auth",),
    ("auth", "token"),
    ("api", "key"),
    ("apikey",),
    ("access", "token"),
    ("refresh", "token"),
    ("id", "token"),
    ("client", "secret"),
    ("password",),
    ("passwd",),
    ("secret",),
    ("token",),
    ("session",),
    ("session", "id"),
    ("signature",),
    ("sig",),
    ("credential",),
    ("security", "token"),
    ("cookie",),
    ("set", "cookie"),
    ("authorization",),
    ("proxy", "authorization"),
]


@st.composite
def credential_names(draw: st.DrawFn) -> str:
    words = list(draw(st.sampled_from(WORDS)))
    prefix = draw(st.sampled_from([(), ("x",), ("x", "amz"), ("my", "app")]))
    separators = st.sampled_from(["-", "_"])
    parts = [*prefix, *words]
    name = parts[0]
    for part in parts[1:]:
        name += draw(separators) + part
    return "".join(c.upper() if draw(st.booleans()) else c for c in name)


TOKENS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=24).map(
    lambda t: "tok" + t
)


def header_service() -> type[BaseService]:
    class Headers(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.debug("headers", headers=dict(request.headers), query=dict(request.query))
            for name, value in [*request.headers.items(), *request.query.items()]:
                self.logger.debug(f"{name} is {value}", value=value)

    return Headers


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_each_credential_header_and_query_parameter_is_masked(
    name: str, debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    token = f"tok-{name.lower()}-0123456789"
    event = api_gateway_event("GET", "/things", headers={name: token}, query={name: token + "q"})
    header_service().handler(event, lambda_context())
    assert_nowhere(capsys.readouterr().out, token, token + "q")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=credential_names(), token=TOKENS, where=st.sampled_from(["rest", "url", "sample"]))
def test_any_spelling_of_a_credential_name_is_masked(
    name: str, token: str, where: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    if where == "rest":
        event = api_gateway_event("GET", "/things", headers={name: token}, query={name: token + "q"})
    elif where == "url":
        event = function_url_event("GET", "/things", headers={name: token}, query={name: token + "q"})
    else:  # a real API Gateway sample, with the credential added
        event = copy.deepcopy(SAMPLE)
        event["headers"][name] = token
        event["multiValueHeaders"][name] = [token]
        event["queryStringParameters"] = {name: token + "q"}
        event["multiValueQueryStringParameters"] = {name: [token + "q"]}
    capsys.readouterr()
    header_service().handler(event, lambda_context())
    assert_nowhere(capsys.readouterr().out, token, token + "q")


def test_names_that_carry_no_credential_are_logged_in_clear(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = ["Accept", "Content-Type", "Idempotency-Key", "X-Request-Id", "author", "page"]
    event = api_gateway_event("GET", "/", headers={n: f"value-of-{n}" for n in plain})
    header_service().handler(event, lambda_context())
    out = capsys.readouterr().out
    for name in plain:
        assert f"value-of-{name}" in out


SAMPLE = sample("apiGatewayProxyEvent.json")


def test_a_credential_in_a_body_field_classified_authorization_info_never_reaches_a_line(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    @attrs.frozen
    class Login:
        user: str
        password: str = attrs.field(metadata=AUTH)

    class SignIn(BaseService):
        service = unique()

        def execute(self, login: Login) -> None:
            self.logger.debug("login", body=self.request.json())  # the raw body, as a plain dict
            raise PermissionError(f"wrong password {login.password} for {login.user}")

    event = api_gateway_event("POST", "/login", body={"user": "ada", "password": "correct-horse-battery"})
    assert SignIn.handler(event, lambda_context())["statusCode"] == 500
    logged = assert_nowhere(capsys.readouterr().out, "correct-horse-battery")
    assert any("*** redacted (AUTHORIZATION_INFO) ***" in json.dumps(e) for e in logged)


# --- the logger's own keywords --------------------------------------------------------------------

COLLIDING: list[dict[str, Any]] = [
    {"args": 1},
    {"msg": 2},
    {"level": 3},
    {"name": "n"},
    {"exc_info": 5},
    {"extra": [1, 2]},
    {"extra": "text"},
    {"stack_info": True},
    {"stacklevel": "high"},
    {"stacklevel": 0},
    {"classification": "no such classification"},
    {"classification": 3},
    {"log_type": 7},
    {"operation": 5},
    {"message": "m"},
    {"timestamp": "t"},
    {"type": "t"},
    {"service": "s"},
    {"location": "l"},
    {"args": 1, "msg": 2, "level": 3, "exc_info": object(), "extra": 4, "stacklevel": None},
]


@pytest.mark.parametrize("powertools", [False, True], ids=["direct", "powertools"])
@pytest.mark.parametrize("keywords", COLLIDING, ids=lambda k: ",".join(k))
def test_keywords_that_collide_with_the_loggers_parameters_never_fail_the_invocation(
    keywords: dict[str, Any], powertools: bool, debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    class Chatty(BaseService):
        service = unique()

        def execute(self, request: Request) -> dict[str, int]:
            self.logger.info("hello", **keywords)
            self.logger.log(20, "hello again", **keywords)
            self.logger.debug("%s and %s", 1)  # arguments that do not fit the format
            return {"ok": 1}

    if powertools:
        Chatty().logger.powertools  # noqa: B018
    answer = Chatty.handler(api_gateway_event("GET", "/"), lambda_context())
    assert answer["statusCode"] == 200, answer
    logged = json_lines(capsys.readouterr().out, every=True)
    mine = [e for e in logged if e["message"] in ("hello", "hello again")]
    assert len(mine) == 2
    for entry in mine:
        assert entry["level"] == "INFO" and entry["service"] == Chatty.service
        assert entry["type"] == "STD" and entry["classification"] == "NA"
        assert entry["location"].startswith("execute:")
        for key, value in keywords.items():  # as a field: under its name, or renamed name_
            shown = entry[key + "_"] if key + "_" in entry else entry[key]
            assert shown == value or shown == repr(value)
    assert any(str(e["message"]).startswith("%s and %s") for e in logged)


def test_a_message_keyword_is_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    class Named(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.info(msg="by keyword", n=1)

    Named.handler(api_gateway_event("GET", "/"), lambda_context())
    first = json_lines(capsys.readouterr().out, every=True)[0]
    assert first["message"] == "by keyword" and first["n"] == 1


# --- appended keys stay in their thread; the audit line of every kind --------------------------


def test_thread_safe_keys_stay_in_the_thread_that_appended_them(capsys: pytest.CaptureFixture[str]) -> None:
    class Threads(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            powertools = self.logger.powertools
            barrier = threading.Barrier(2)

            def worker(n: int) -> None:
                powertools.thread_safe_append_keys(worker=n)
                barrier.wait()
                self.logger.info("working", n=n)

            threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.logger.info("main thread")

    Threads.handler(api_gateway_event("GET", "/"), lambda_context())
    logged = json_lines(capsys.readouterr().out, every=True)
    working = [e for e in logged if e["message"] == "working"]
    assert sorted((e["n"], e["worker"]) for e in working) == [(1, 1), (2, 2)]
    assert "worker" not in next(e for e in logged if e["message"] == "main thread")


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "fails"])
@pytest.mark.parametrize("level", ["WARNING", "INFO"])
@pytest.mark.parametrize("kind", ["http", "sqs", "eventbridge"])
def test_an_audit_service_of_every_kind_writes_its_audit_line_with_its_outcome(
    kind: str, level: str, fails: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", level)
    from pypwext.kinds._batch import SqsBatchService
    from pypwext.kinds._eventbridge import EventService
    from pypwext.testing import eventbridge_event

    event: Any
    base: Any
    if kind == "http":
        base, method, event = BaseService, "execute", api_gateway_event("GET", "/")
    elif kind == "sqs":
        base, method, event = SqsBatchService, "process_record", sqs_event([{"n": 1}])
    else:
        base, method, event = EventService, "execute", eventbridge_event({"n": 1})

    def run(self: Any, data: Any) -> None:
        if fails:
            raise RuntimeError("refused")

    namespace = {"service": unique(), "log_type": LogEntryType.AUDIT, method: run, "__module__": __name__}
    audited: Any = type("Audited", (base,), namespace)
    try:
        audited.handler(event, lambda_context())
    except RuntimeError:
        assert kind == "eventbridge" and fails  # EventBridge retries a failed event: it re-raises
    audit = [
        e
        for e in json_lines(capsys.readouterr().out, every=True)
        if e.get("type") == "AUDIT" and "duration_ms" in e
    ]
    assert len(audit) == 1 and audit[0]["level"] == "INFO"
    assert audit[0]["outcome"] == ("failure" if fails else "success")


@pytest.mark.parametrize("powertools", [False, True], ids=["direct", "powertools"])
def test_a_credential_in_a_url_quoted_by_a_library_is_masked(
    powertools: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    class Quoting(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            url = "https://api.example/v1/x?page=2&api_key=k-1234567890&X-Amz-Signature=sig-0987654321"
            self.logger.warning(f"Max retries exceeded with url: {url}")
            raise ConnectionError(f"HTTPSConnectionPool: Max retries exceeded with url: {url}")

    if powertools:
        Quoting().logger.powertools  # noqa: B018
    assert Quoting.handler(api_gateway_event("GET", "/"), lambda_context())["statusCode"] == 500
    logged = assert_nowhere(capsys.readouterr().out, "k-1234567890", "sig-0987654321")
    assert "page=2&api_key=*** redacted (AUTHORIZATION_INFO) ***" in logged[0]["message"]


def test_a_session_cookie_logged_by_the_service_is_masked(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    class Cookies(BaseService):
        service = unique()

        def execute(self, request: Request) -> None:
            self.logger.info(
                "cookies", values=list(request.cookies.values()), raw=request.headers.get("cookie")
            )

    event = api_gateway_event("GET", "/", cookies={"sid": "s-77665544", "prefs": "opaque-0123456789abcdef"})
    Cookies.handler(event, lambda_context())
    assert_nowhere(capsys.readouterr().out, "s-77665544", "opaque-0123456789abcdef")


def test_a_batch_of_many_records_masks_every_records_value(
    debug_level: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypwext.kinds._batch import SqsBatchService

    @attrs.frozen
    class Customer:
        id: int
        email: str = attrs.field(metadata=PII)

    class Many(SqsBatchService):
        service = unique()

        def process_record(self, record: Customer) -> None:
            self.logger.info(f"importing {record.email}")  # past 32 values, one compiled search

    emails = [f"customer-{n:03d}@example.com" for n in range(80)]
    answer = Many.handler(sqs_event([{"id": n, "email": e} for n, e in enumerate(emails)]), lambda_context())
    assert answer["batchItemFailures"] == []
    logged = assert_nowhere(capsys.readouterr().out, *emails)
    assert sum(e["message"] == "importing *** redacted (PII) ***" for e in logged) == 80


def test_a_dependency_line_of_a_pii_service_masks_its_reason_and_shows_its_facts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Calls(BaseService):
        service = unique()
        classification = InfoClassification.PII

        def execute(self, request: Request) -> None:
            facts = {"dependency": "crm", "method": "GET", "url": "/customers/{id}", "status": 422}
            reason = "email: 'grace@example.com' is not a known customer"
            self.logger.call(30, "http call failed", facts, {"reason": reason})

    Calls.handler(api_gateway_event("GET", "/"), lambda_context())
    logged = assert_nowhere(capsys.readouterr().out, "grace@example.com")
    line = next(e for e in logged if e["message"] == "http call failed")
    assert line["level"] == "WARNING" and line["classification"] == "PII"
    assert (line["dependency"], line["url"], line["status"]) == ("crm", "/customers/{id}", 422)
    assert line["reason"] == "*** redacted (PII) ***"
