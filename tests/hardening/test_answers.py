"""The answer path under attack: results that cannot be encoded, a shared ``Response`` constant,
header injection. Every case goes through ``Service.handler`` for every source and is judged by
what a client receives and what the log says."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest

from pypwext import BaseService, Request, Response
from pypwext.base import ErrorAction
from pypwext.errors import ServiceError, TooManyRequests
from pypwext.testing import alb_event, api_gateway_event, function_url_event, lambda_context
from tests._support.logs import json_lines

EVENTS: dict[str, Callable[[], Any]] = {
    "rest": lambda: api_gateway_event("GET", "/thing"),
    "http": lambda: api_gateway_event("GET", "/thing", version="2.0"),
    "url": lambda: function_url_event("GET", "/thing"),
    "alb": lambda: alb_event("GET", "/thing"),
    "alb-multi": lambda: alb_event("GET", "/thing", multi_value=True),
    "direct": lambda: {"direct": True},
}


def body_of(answer: dict[str, Any]) -> Any:
    body = answer["body"]
    return json.loads(body) if isinstance(body, str) and body else body


def assert_generic_500(answer: dict[str, Any], lines: list[dict[str, Any]], *hidden: str) -> None:
    """A plain 500 in the source's format, one ERROR line with the cause, one summary line."""
    assert answer["statusCode"] == 500
    text = json.dumps(answer, ensure_ascii=False)
    text.encode("utf-8")
    for word in ("Traceback", "serialis", "CR, LF", *hidden):
        assert word not in text, word
    errors = [line for line in lines if line["level"] == "ERROR"]
    summaries = [line for line in lines if "status" in line and line["level"] == "INFO"]
    assert len(errors) == 1, lines
    assert len(summaries) == 1 and summaries[0]["status"] == 500, lines


class Opaque:
    """A custom object with no protocol pypwext knows."""


class JsonGivesDict:
    def json(self) -> Any:  # the protocol says a str
        return {"a": 1}


class DictRaises:
    def dict(self) -> Any:
        raise RuntimeError("secret-internal-state")


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


UNENCODABLE: dict[str, Callable[[], Any]] = {
    "custom-object": Opaque,
    "path": lambda: pathlib.Path("/etc/secret-path"),
    "json-returns-dict": JsonGivesDict,
    "dict-raises": DictRaises,
    "object-in-a-dict": lambda: {"ok": 1, "thing": Opaque()},
    "too-deep": lambda: nested(100_000),
    "response-with-object-body": lambda: Response(201, {"p": pathlib.Path("/x")}),
}

NOT_FINITE: dict[str, Callable[[], Any]] = {
    "nan": lambda: {"price": float("nan")},
    "inf": lambda: [float("inf")],
}


def service_returning(make: Callable[[], Any]) -> type[BaseService]:
    class Returns(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> Any:
            return make()

    return Returns


@pytest.mark.parametrize("source", EVENTS)
@pytest.mark.parametrize("result", UNENCODABLE)
def test_a_result_that_cannot_be_encoded_answers_a_generic_500(
    source: str, result: str, capsys: pytest.CaptureFixture[str]
) -> None:
    svc = service_returning(UNENCODABLE[result])
    capsys.readouterr()
    answer = svc.handler(EVENTS[source](), lambda_context())
    assert_generic_500(
        answer, json_lines(capsys.readouterr().out), "secret-internal-state", "secret-path", "Opaque"
    )
    assert body_of(answer)["error"]["code"] == 500


@pytest.mark.parametrize("source", ["rest", "direct"])
@pytest.mark.parametrize("result", NOT_FINITE)
def test_a_result_that_is_not_finite_answers_a_generic_500(
    source: str, result: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = service_returning(NOT_FINITE[result]).handler(EVENTS[source](), lambda_context())
    assert_generic_500(answer, json_lines(capsys.readouterr().out))


@pytest.mark.parametrize("source", EVENTS)
def test_lone_surrogates_are_answered_as_replacement_characters(source: str) -> None:
    """Text UTF-8 cannot encode (a client's JSON "\\ud800", echoed back) is never in an answer."""
    texts = service_returning(lambda: "a\ud800b").handler(EVENTS[source](), None)
    assert texts["body"] == "a\ufffdb"
    document = service_returning(lambda: {"n\udc80": ["\udfff", 1]}).handler(EVENTS[source](), None)
    assert body_of(document) == {"n\ufffd": ["\ufffd", 1]}
    header = service_returning(lambda: Response(200, "x", headers={"X-Name": "\udcff"}, cookies=["c=\ud800"]))
    answer = header.handler(EVENTS[source](), None)
    assert answer["statusCode"] == 200
    json.dumps(answer, ensure_ascii=False).encode("utf-8")
    assert "\ufffd" in json.dumps(answer.get("headers") or answer["multiValueHeaders"], ensure_ascii=False)


class ToJson:
    def json(self) -> str:
        return '{"id": 7, "tags": ["a"]}'


class ToDict:
    def dict(self) -> dict[str, Any]:
        return {"id": 8}


@pytest.mark.parametrize("source", EVENTS)
def test_objects_with_pypwext_protocols_still_encode(source: str) -> None:
    assert body_of(service_returning(ToJson).handler(EVENTS[source](), None)) == {"id": 7, "tags": ["a"]}
    assert body_of(service_returning(ToDict).handler(EVENTS[source](), None)) == {"id": 8}
    listed = service_returning(lambda: [ToDict(), ToJson()]).handler(EVENTS[source](), None)
    assert body_of(listed) == [{"id": 8}, {"id": 7, "tags": ["a"]}]


def test_the_encoding_failure_goes_through_on_error(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[ServiceError] = []

    class Recovers(BaseService):
        def execute(self, request: Request) -> Any:
            return Opaque()

        def on_error(self, error: ServiceError) -> Any:
            seen.append(error)
            return Response(503, {"retry": True}, headers={"Retry-After": "5"})

    capsys.readouterr()
    answer = Recovers.handler(EVENTS["rest"](), None)
    assert [e.code for e in seen] == [500] and isinstance(seen[0].__cause__, TypeError)
    assert answer["statusCode"] == 503 and answer["headers"]["Retry-After"] == "5"
    assert json.loads(answer["body"]) == {"retry": True}
    assert len([line for line in json_lines(capsys.readouterr().out) if line["level"] == "ERROR"]) == 1


@pytest.mark.parametrize("source", EVENTS)
def test_on_error_returning_something_unencodable_still_answers_500(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    class Stubborn(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> Any:
            return Opaque()

        def on_error(self, error: ServiceError) -> Any:
            return pathlib.Path("/also/not/json")

    answer = Stubborn.handler(EVENTS[source](), None)
    assert answer["statusCode"] == 500 and body_of(answer)["error"]["code"] == 500
    assert "not/json" not in json.dumps(answer)
    assert all(line["level"] != "CRITICAL" for line in json_lines(capsys.readouterr().out))


# --- nothing the service hands back is mutated --------------------------------------------------

ACCEPTED = Response(202, {"queued": True})


class Queue(BaseService):
    """Returns the same module-level Response every time; warns about some jobs."""

    def execute(self, request: Request) -> Response:
        if request.json().get("warn"):
            self.errors.collect(ServiceError("job is late", code=409, action=ErrorAction.CONTINUE))
        return ACCEPTED


def test_a_module_level_response_does_not_carry_one_callers_error_to_the_next() -> None:
    first = Queue.handler({"warn": True}, None)
    assert first["statusCode"] == 202 and [e["msg"] for e in first["errors"]] == ["job is late"]
    second = Queue.handler({"warn": False}, None)
    assert second["statusCode"] == 202 and second["errors"] == []
    assert ACCEPTED.errors == [] and Response(202, {"queued": True}) == ACCEPTED


# --- header injection ---------------------------------------------------------------------------

INJECTED = "evil=1; Path=/"
INJECTIONS: dict[str, Callable[[], Response]] = {
    "location-crlf": lambda: Response(302, headers={"Location": f"/next\r\nSet-Cookie: {INJECTED}"}),
    "lf-only": lambda: Response(200, "ok", headers={"X-Note": f"a\nSet-Cookie: {INJECTED}"}),
    "cr-only": lambda: Response(200, "ok", headers={"X-Note": f"a\rSet-Cookie: {INJECTED}"}),
    "nul": lambda: Response(200, "ok", headers={"X-Note": "a\0b"}),
    "multi-header": lambda: Response(
        200, multi_headers={"Link": ["</a>", f"</b>\r\nSet-Cookie: {INJECTED}"]}
    ),
    "cookie": lambda: Response(200, cookies=[f"a=1\r\nSet-Cookie: {INJECTED}"]),
    "set-cookie-header": lambda: Response(200, headers={"Set-Cookie": f"a=1\nSet-Cookie: {INJECTED}"}),
    "name-crlf": lambda: Response(200, headers={f"X-A\r\nSet-Cookie: {INJECTED}\r\nX-B": "1"}),
    "name-colon": lambda: Response(200, headers={f"Set-Cookie: {INJECTED}\r\nX": "1"}),
    "name-space": lambda: Response(200, headers={"X Note": "1"}),
    "name-empty": lambda: Response(200, headers={"": "1"}),
    "non-str-value": lambda: Response(200, headers={"X-Count": _Crlf()}),  # type: ignore[dict-item]
}


class _Crlf:
    def __str__(self) -> str:
        return f"1\r\nSet-Cookie: {INJECTED}"


def added_after_construction() -> Response:
    response = Response(200, "ok")
    response.headers["Location"] = f"/x\r\nSet-Cookie: {INJECTED}"
    return response


INJECTIONS["added-after-construction"] = added_after_construction


@pytest.mark.parametrize("source", EVENTS)
@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_header_value_with_cr_or_lf_answers_a_generic_500(
    source: str, injection: str, capsys: pytest.CaptureFixture[str]
) -> None:
    svc = service_returning(INJECTIONS[injection])
    capsys.readouterr()
    answer = svc.handler(EVENTS[source](), None)
    lines = json_lines(capsys.readouterr().out)
    assert_generic_500(answer, lines, INJECTED, "evil")
    for key in ("headers", "multiValueHeaders"):
        for name, value in (answer.get(key) or {}).items():
            for text in [name, *([value] if isinstance(value, str) else value)]:
                assert not {"\r", "\n", "\0"} & set(text)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert "response header" in error["exception"]  # the log says what was wrong


@pytest.mark.parametrize("source", EVENTS)
def test_an_errors_own_header_with_crlf_answers_a_generic_500(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    class Throttled(BaseService):
        def execute(self, request: Request) -> Any:
            raise TooManyRequests("slow down", headers={"Retry-After": f"1\r\nSet-Cookie: {INJECTED}"})

    capsys.readouterr()
    answer = Throttled.handler(EVENTS[source](), None)
    assert_generic_500(answer, json_lines(capsys.readouterr().out), INJECTED)


@pytest.mark.parametrize("source", EVENTS)
def test_an_errors_unencodable_details_answer_a_generic_500(
    source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    class Detailed(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> Any:
            raise ServiceError("conflict", code=409, details={"where": pathlib.Path("/srv/secret-path")})

    capsys.readouterr()
    answer = Detailed.handler(EVENTS[source](), None)
    assert_generic_500(answer, json_lines(capsys.readouterr().out), "secret-path")


def test_ordinary_header_values_still_pass() -> None:
    def make() -> Response:
        return Response(
            201,
            {"id": 7},
            headers={"Location": "/orders/7?x=a%0D%0A", "X-Tab": "a\tb", "X-Latin": "café"},
            cookies=["session=abc; Path=/; HttpOnly"],
        )

    for source, event in EVENTS.items():
        answer = service_returning(make).handler(event(), None)
        assert answer["statusCode"] == 201, source
