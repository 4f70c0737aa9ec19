"""The service core: class checks at import, the lifecycle, typed input, errors and rendering."""

from __future__ import annotations

import base64
import contextvars
import dataclasses
import datetime as dt
import enum
import json
import logging
import threading
import uuid
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import attrs
import pytest

from pypwext import (
    BadRequest,
    BaseService,
    Conflict,
    ErrorAction,
    ErrorWithReturn,
    InfoClassification,
    NotFound,
    Request,
    Response,
    ServiceError,
    current_collector,
    step,
    strict,
)
from pypwext.dependencies import Dependency
from pypwext.testing import api_gateway_event, lambda_context
from pypwext.wire._responses import from_direct
from tests._support import aws_samples
from tests._support.logs import json_lines


@attrs.frozen
class Item:
    id: int
    quantity: int


@attrs.frozen
class Order:
    id: int
    items: list[Item]
    note: str | None = None


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strict
@attrs.frozen
class Rich:
    when: dt.datetime
    day: dt.date
    ref: uuid.UUID
    amount: Decimal
    color: Color
    tags: dict[str, int]
    pair: tuple[int, str]


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Orders(BaseService):
    status = HTTPStatus.CREATED
    just_status_code = False

    def validate(self, order: Order) -> Order:
        if not order.items:
            raise BadRequest("an order needs at least one item")
        return order

    def execute(self, order: Order) -> dict[str, int]:
        return {"id": order.id, "total": sum(i.quantity for i in order.items)}


def post(body: Any, **kwargs: Any) -> dict[str, Any]:
    return api_gateway_event("POST", "/orders", body=body, **kwargs)


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response["body"] else None


# --- the class and its handler -----------------------------------------------------------


def test_handler_is_class_only_and_names_its_class() -> None:
    assert Orders.handler.service_class is Orders
    with pytest.raises(AttributeError, match=r"svc\(event, context\)"):
        Orders().handler  # noqa: B018


def test_handler_makes_a_fresh_instance_per_invocation() -> None:
    seen: list[object] = []

    class Counter(BaseService):
        def execute(self, request: Request) -> int:
            seen.append(self)  # type: ignore[arg-type]
            return len(seen)

    Counter.handler({}, None)
    Counter.handler({}, None)
    assert len(set(seen)) == 2


def test_instance_can_be_called_repeatedly_each_from_clean_state() -> None:
    class Collects(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> dict[str, int]:
            self.errors.collect(NotFound("missing"))
            return {"collected": len(self.errors)}

    svc = Collects()
    first = svc({}, None)
    second = svc({}, None)
    assert first["body"]["collected"] == second["body"]["collected"] == 1
    assert len(second["errors"]) == 1


def test_typed_body_is_structured_and_rendered_with_success_status() -> None:
    response = Orders.handler(
        post({"id": 7, "items": [{"id": 1, "quantity": 2}, {"id": 2, "quantity": 3}]}), None
    )
    assert response["statusCode"] == 201
    assert body_of(response) == {"id": 7, "total": 5}
    assert response["headers"]["Content-Type"] == "application/json"


def test_lifecycle_methods_can_be_called_one_by_one() -> None:
    svc = Orders()
    order = svc.validate(Order(1, [Item(1, 2)]))
    assert svc.execute(order) == {"id": 1, "total": 2}
    with pytest.raises(BadRequest):
        svc.validate(Order(1, []))


# --- import-time checks ------------------------------------------------------------------


def test_mistyped_option_fails_at_import_with_a_suggestion() -> None:
    with pytest.raises(TypeError, match="Did you mean 'just_status_code'"):

        class Bad(BaseService):
            just_status_codes = False

            def execute(self, request: Request) -> None:
                return None


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("status", 404, "success status"),
        ("status", "201", "takes int"),
        ("just_status_code", 1, "takes bool"),
        ("classification", "PII", "takes InfoClassification"),
        ("operation", 3, "takes str or None"),
    ],
)
def test_option_of_wrong_type_fails_at_import(option: str, value: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        type("Bad", (BaseService,), {option: value, "execute": lambda self, r: None})


def test_lifecycle_method_with_wrong_signature_fails_at_import() -> None:
    with pytest.raises(TypeError, match=r"def execute\(self, data\)"):

        class Bad(BaseService):
            def execute(self) -> None:  # type: ignore[override]
                return None

    with pytest.raises(TypeError, match="async def"):

        class Async(BaseService):
            async def execute(self, data: Any) -> None:  # type: ignore[override]
                return None


def test_reserved_names_and_unstructurable_input_fail_at_import() -> None:
    with pytest.raises(TypeError, match="reserved"):
        type("Bad", (BaseService,), {"request": 3})

    class Opaque:
        def __init__(self, x: int) -> None:
            self.x = x

    with pytest.raises(TypeError, match="cannot be built from a request body"):

        class Bad(BaseService):
            def execute(self, data: Opaque) -> None:
                return None


def test_upper_case_constants_are_allowed() -> None:
    class Fine(BaseService):
        TABLE = "orders"

        def execute(self, request: Request) -> str:
            return self.TABLE

    assert Fine.handler({}, None)["body"] == "orders"


# --- dependencies and overrides ----------------------------------------------------------


class Clock(Dependency[str]):
    builds = 0

    def build(self) -> str:
        Clock.builds += 1
        return "real clock"


class UsesClock(BaseService):
    clock = Clock()

    def execute(self, request: Request) -> str:
        return self.clock


def test_dependency_is_built_once_and_replaced_by_name() -> None:
    Clock.builds = 0
    assert UsesClock.handler({}, None)["body"] == "real clock"
    assert UsesClock.handler({}, None)["body"] == "real clock"
    assert Clock.builds == 1
    assert UsesClock(clock="fake clock")({}, None)["body"] == "fake clock"


def test_unknown_override_lists_known_dependencies() -> None:
    with pytest.raises(TypeError, match="unknown dependency 'clok'; known dependencies: clock"):
        UsesClock(clok="x")


# --- typed input -------------------------------------------------------------------------


def test_every_problem_is_named_by_its_path() -> None:
    response = Orders.handler(
        post({"id": "x", "items": [{"id": 1, "quantity": 2}, {"id": 2}, {"quantity": 1.5}]}), None
    )
    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    problems = {p["path"]: p["reason"] for p in error["details"]["problems"]}
    assert problems == {
        "id": "expected an integer, got the string 'x'",
        "items[1].quantity": "required field missing",
        "items[2].id": "required field missing",
        "items[2].quantity": "expected an integer, got the number 1.5",
    }
    assert error["code"] == 400 and error["classification"] == "NA"


@pytest.mark.parametrize(
    "body",
    ["{not json", b"\xff\xfe", "[1, 2]", "null", '"text"', "3"],
)
def test_bad_bodies_are_400_never_500(body: Any) -> None:
    event = post(None)
    raw = body if isinstance(body, bytes) else body.encode()
    event["body"] = base64.b64encode(raw).decode()
    event["isBase64Encoded"] = True
    response = Orders.handler(event, None)
    assert response["statusCode"] == 400
    assert "Traceback" not in response["body"]
    problems = body_of(response)["error"]["details"]["problems"]
    assert problems and all(set(p) == {"path", "reason"} and p["reason"] for p in problems)


def test_wrong_content_type_is_400() -> None:
    event = post({"id": 1, "items": []}, headers={"Content-Type": "text/csv"})
    response = Orders.handler(event, None)
    assert response["statusCode"] == 400
    assert "expected application/json" in response["body"]


def test_base64_request_body_is_decoded() -> None:
    event = post(None)
    event["body"] = base64.b64encode(
        json.dumps({"id": 1, "items": [{"id": 1, "quantity": 4}]}).encode()
    ).decode()
    event["isBase64Encoded"] = True
    assert body_of(Orders.handler(event, None)) == {"id": 1, "total": 4}


def test_rich_types_are_structured_and_extra_fields_rejected_for_strict_classes() -> None:
    class Echo(BaseService):
        just_status_code = False

        def execute(self, data: Rich) -> Rich:
            return data

    good = {
        "when": "2024-05-01T10:00:00Z",
        "day": "2024-05-01",
        "ref": "12345678-1234-5678-1234-567812345678",
        "amount": "10.25",
        "color": "red",
        "tags": {"a": 1},
        "pair": [1, "x"],
    }
    ok = Echo.handler(post(good), None)
    assert ok["statusCode"] == 200
    assert body_of(ok) == {**good, "when": "2024-05-01T10:00:00+00:00"}

    bad = Echo.handler(post({**good, "color": "green", "amount": "ten", "extra": 1}), None)
    problems = {p["path"]: p["reason"] for p in body_of(bad)["error"]["details"]["problems"]}
    assert problems["extra"] == "unexpected field"
    assert problems["color"] == "expected one of 'red', 'blue', got the string 'green'"
    assert problems["amount"].startswith("expected a decimal number")


def test_dataclass_list_and_dict_inputs() -> None:
    class Points(BaseService):
        def execute(self, points: list[Point]) -> int:
            return sum(p.x * p.y for p in points)

    assert Points.handler(post([{"x": 2, "y": 3}, {"x": 1, "y": 1}]), None)["body"] == "7"

    class Counts(BaseService):
        def execute(self, counts: dict[str, int]) -> int:
            return sum(counts.values())

    assert Counts.handler(post({"a": 1, "b": 2}), None)["body"] == "3"


def test_path_and_query_parameters_fill_declared_fields_with_documented_precedence() -> None:
    @attrs.frozen
    class Lookup:
        order_id: int
        verbose: bool = False
        page: int = 1

    class Get(BaseService):
        def execute(self, q: Lookup) -> Lookup:
            return q

    event = api_gateway_event(
        "GET",
        "/orders/42",
        path_params={"order_id": "42"},
        query={"verbose": "true", "page": "3", "unrelated": "x"},
    )
    assert body_of(Get.handler(event, None)) == {"order_id": 42, "verbose": True, "page": 3}
    # the path parameter wins over a body field of the same name, a body field over the query
    event = api_gateway_event(
        "POST",
        "/orders/42",
        body={"order_id": 1, "page": 9},
        path_params={"order_id": "42"},
        query={"page": "3"},
    )
    assert body_of(Get.handler(event, None)) == {"order_id": 42, "verbose": False, "page": 9}


def test_direct_invoke_input_is_the_event_itself() -> None:
    response = Orders.handler({"id": 3, "items": [{"id": 1, "quantity": 1}]}, lambda_context())
    status, body, errors = from_direct(response)
    assert (status, body, errors) == (201, {"id": 3, "total": 1}, [])


def test_unannotated_input_is_the_request() -> None:
    class Raw(BaseService):
        def execute(self, request):  # type: ignore[no-untyped-def]
            return {"method": request.method, "path": request.path}

    assert body_of(Raw.handler(api_gateway_event("DELETE", "/x"), None)) == {"method": "DELETE", "path": "/x"}


# --- errors ------------------------------------------------------------------------------


def test_just_status_code_answers_with_the_status_only() -> None:
    class Missing(BaseService):
        def execute(self, request: Request) -> None:
            raise NotFound("no such order", details={"order_id": 1})

    response = Missing.handler(api_gateway_event("GET", "/orders/1"), None)
    assert response["statusCode"] == 404
    assert response["body"] == ""


def test_error_body_follows_pypwext_format() -> None:
    class Missing(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> None:
            raise NotFound("no such order", details={"order_id": 1}, classification=InfoClassification.PII)

    response = Missing.handler(api_gateway_event("GET", "/orders/1"), None)
    assert body_of(response) == {
        "error": {"code": 404, "msg": "no such order", "classification": "PII", "details": {"order_id": 1}}
    }


def test_unexpected_exception_is_a_generic_500_logged_once_with_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Boom(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> None:
            raise RuntimeError("password=hunter2")

    response = Boom.handler(api_gateway_event("GET", "/"), None)
    assert response["statusCode"] == 500
    assert "hunter2" not in response["body"]
    assert body_of(response)["error"]["msg"] == "Internal Server Error"
    logged = json_lines(capsys.readouterr().out)
    tracebacks = [entry for entry in logged if "exception" in entry]
    assert len(tracebacks) == 1
    assert "RuntimeError: password=hunter2" in tracebacks[0]["exception"]


def test_on_error_may_answer_instead() -> None:
    class Fallback(BaseService):
        def execute(self, request: Request) -> None:
            raise ConnectionError("down")

        def on_error(self, error: ServiceError) -> dict[str, str]:
            assert isinstance(error.__cause__, ConnectionError)
            return {"served": "from cache"}

    response = Fallback.handler({}, None)
    assert response["statusCode"] == 200 and response["body"] == {"served": "from cache"}


def test_error_raised_in_on_error_and_render_are_answered() -> None:
    class BadRender(BaseService):
        def execute(self, request: Request) -> int:
            return 1

        def render(self, result: Any) -> Response:
            raise ValueError("render bug")

    assert BadRender.handler(api_gateway_event("GET", "/"), None)["statusCode"] == 500

    class Conflicting(BaseService):
        def execute(self, request: Request) -> int:
            raise NotFound()

        def on_error(self, error: ServiceError) -> Any:
            raise Conflict("changed meanwhile")

    assert Conflicting.handler(api_gateway_event("GET", "/"), None)["statusCode"] == 409


def test_error_headers_are_sent() -> None:
    class Slow(BaseService):
        def execute(self, request: Request) -> None:
            from pypwext import TooManyRequests

            raise TooManyRequests(headers={"Retry-After": "3"})

    response = Slow.handler(api_gateway_event("GET", "/"), None)
    assert response["statusCode"] == 429 and response["headers"]["Retry-After"] == "3"


def test_continue_errors_are_collected_and_highest_code_wins() -> None:
    class Partial(BaseService):
        just_status_code = False

        @step
        def lookup(self, n: int) -> int | None:
            if n == 2:
                raise ErrorWithReturn(f"no {n}", code=404)
            if n == 3:
                raise ServiceError(f"conflict {n}", code=409, action=ErrorAction.CONTINUE, return_value=-1)
            return n

        def execute(self, request: Request) -> dict[str, Any]:
            return {"found": [self.lookup(n) for n in (1, 2, 3)]}

    response = Partial.handler(api_gateway_event("GET", "/"), None)
    assert response["statusCode"] == 409
    body = body_of(response)
    assert body["found"] == [1, None, -1]
    assert [e["code"] for e in body["error"]] == [404, 409]


def test_code_from_error_off_keeps_the_success_status() -> None:
    class Lenient(BaseService):
        code_from_error = False

        def execute(self, request: Request) -> dict[str, int]:
            self.errors.collect(NotFound())
            return {"ok": 1}

    response = Lenient.handler(api_gateway_event("GET", "/"), None)
    assert response["statusCode"] == 200 and body_of(response) == {"ok": 1}


def test_raise_action_in_step_goes_to_on_error() -> None:
    class Strict(BaseService):
        @step
        def check(self) -> None:
            raise BadRequest("nope", action=ErrorAction.RAISE)

        def execute(self, request: Request) -> None:
            self.check()

    assert Strict.handler(api_gateway_event("GET", "/"), None)["statusCode"] == 400


def test_collector_is_visible_in_threads_started_with_copy_context() -> None:
    class Fanout(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> str:
            def work() -> None:
                collector = current_collector()
                assert collector is not None
                collector.collect(NotFound("from a thread"))

            ctx = contextvars.copy_context()
            thread = threading.Thread(target=ctx.run, args=(work,))
            thread.start()
            thread.join()
            return "done"

    response = Fanout.handler(api_gateway_event("GET", "/"), None)
    assert response["statusCode"] == 404
    assert body_of(response) == {
        "result": "done",
        "error": {"code": 404, "msg": "from a thread", "classification": "NA", "details": {}},
    }


def test_step_on_a_plain_function_collects_into_the_current_invocation() -> None:
    @step(operation="lookup")
    def lookup(n: int) -> int | None:
        if n < 0:
            raise ErrorWithReturn("negative", return_value=0)
        return n

    with pytest.raises(ErrorWithReturn):
        lookup(-1)  # no invocation, nothing to collect into: the error propagates

    class Uses(BaseService):
        def execute(self, request: Request) -> list[int | None]:
            return [lookup(1), lookup(-1)]

    response = Uses.handler({}, None)
    assert response["body"] == [1, 0]
    assert response["statusCode"] == 400


# --- rendering ---------------------------------------------------------------------------


def test_none_is_204_bytes_are_base64_and_response_gives_full_control() -> None:
    class Nothing(BaseService):
        def execute(self, request: Request) -> None:
            return None

    assert Nothing.handler(api_gateway_event("GET", "/"), None)["statusCode"] == 204

    class Binary(BaseService):
        def execute(self, request: Request) -> bytes:
            return b"\x89PNG"

    response = Binary.handler(api_gateway_event("GET", "/"), None)
    assert response["isBase64Encoded"] is True and base64.b64decode(response["body"]) == b"\x89PNG"

    class Custom(BaseService):
        def execute(self, request: Request) -> Response:
            return Response(
                202, body={"queued": True}, headers={"Location": "/jobs/1"}, cookies=["a=1", "b=2"]
            )

    response = Custom.handler(api_gateway_event("GET", "/"), None)
    assert response["statusCode"] == 202
    assert response["headers"]["Location"] == "/jobs/1"
    assert response["multiValueHeaders"]["Set-Cookie"] == ["a=1", "b=2"]


def test_direct_invoke_document_keeps_status_body_and_errors() -> None:
    class Partial(BaseService):
        def execute(self, request: Request) -> dict[str, int]:
            self.errors.collect(NotFound("one missing", details={"id": 2}))
            return {"found": 1}

    status, body, errors = from_direct(Partial.handler({"ids": [1, 2]}, None))
    assert status == 404 and body == {"found": 1}
    assert isinstance(errors[0], NotFound) and errors[0].details == {"id": 2}


# --- logging -----------------------------------------------------------------------------


def test_one_info_line_per_successful_invocation(capsys: pytest.CaptureFixture[str]) -> None:
    Orders.handler(post({"id": 1, "items": [{"id": 1, "quantity": 1}]}), None)
    lines = json_lines(capsys.readouterr().out)
    assert len(lines) == 1
    summary = lines[0]
    assert summary["level"] == "INFO" and summary["status"] == 201 and summary["method"] == "POST"
    assert summary["operation"] == "orders" and summary["source"] == "rest"


def test_debug_entries_are_redacted_by_classification(capsys: pytest.CaptureFixture[str]) -> None:
    class Secretive(BaseService):
        classification = InfoClassification.PII

        def execute(self, data: dict[str, str]) -> dict[str, str]:
            return data

    Secretive().logger.powertools.setLevel(logging.DEBUG)
    try:
        Secretive.handler(post({"ssn": "19120102-01921"}), None)
    finally:
        Secretive().logger.powertools.setLevel(logging.INFO)
    out = capsys.readouterr().out
    assert "enter execute" in out and "exit execute" in out
    assert "19120102-01921" not in out


# --- ordinary Python on a service class -----------------------------------------------------------


class _Upper:
    """A descriptor of the user's own: it upper-cases what it reads from the instance."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object | None, owner: type) -> Any:
        return self if instance is None else type(instance).__name__.upper()


def test_ordinary_python_on_a_service_class_is_not_taken_for_an_option() -> None:
    import functools

    class Catalogue(BaseService):
        TABLE = "catalogue"  # a constant
        table_name = "items"  # an attribute of the user's own, lowercase
        version = 3  # close to no option (difflib puts it 0.6 from 'operation')
        source = "warehouse"  # nor this one, from 'service'
        shouted = _Upper()
        currencies: tuple[str, ...] = ("EUR", "USD")

        @functools.cached_property
        def prices(self) -> dict[str, int]:
            return {"widget": 250}

        @property
        def region(self) -> str:
            return "eu-west-1"

        @staticmethod
        def twice(n: int) -> int:
            return 2 * n

        @classmethod
        def label(cls) -> str:
            return cls.__name__

        later = functools.partialmethod(lambda self, n: n + 1, 41)

        class Row:  # a nested class
            pass

        def execute(self, request: Request) -> dict[str, Any]:
            return {
                "table": f"{self.TABLE}/{self.table_name}/v{self.version}/{self.source}",
                "price": self.prices["widget"],
                "region": self.region,
                "twice": self.twice(2),
                "label": self.label(),
                "later": self.later(),
                "shouted": self.shouted,
                "currencies": list(self.currencies),
            }

    assert Catalogue()({"direct": True})["body"] == {
        "table": "catalogue/items/v3/warehouse",
        "price": 250,
        "region": "eu-west-1",
        "twice": 4,
        "label": "Catalogue",
        "later": 42,
        "shouted": "CATALOGUE",
        "currencies": ["EUR", "USD"],
    }


@pytest.mark.parametrize(
    ("name", "value", "meant"),
    [
        ("routes", "GET /x", "route"),
        ("just_status", False, "just_status_code"),
        ("operations", "x", "operation"),
        ("service_name", "orders", "service"),
        ("status_code", 201, "status"),
        ("namespace", "Shop", "metrics_namespace"),
        ("tracin", True, "tracing"),
        ("idempotent", None, "idempotency"),
    ],
)
def test_a_near_miss_of_an_option_name_is_still_refused_with_the_option(
    name: str, value: Any, meant: str
) -> None:
    with pytest.raises(TypeError, match=f"unknown option '{name} = .*Did you mean '{meant}'"):
        type("Bad", (BaseService,), {name: value, "execute": lambda self, r: None})


def test_methods_and_descriptors_near_an_option_name_are_ordinary_python() -> None:
    import functools

    class Router(BaseService):
        def routes(self) -> list[str]:  # close to 'route', but a method: not a misspelt option
            return ["GET /a"]

        @functools.cached_property
        def tracer(self) -> str:
            return "mine"

        @property
        def operations(self) -> int:
            return 2

        def execute(self, request: Request) -> dict[str, Any]:
            return {"routes": self.routes(), "tracer": self.tracer, "operations": self.operations}

    assert Router()({"direct": True})["body"] == {"routes": ["GET /a"], "tracer": "mine", "operations": 2}


def test_a_descriptor_under_an_option_name_is_still_type_checked() -> None:
    with pytest.raises(TypeError, match="option 'route' takes str or None"):

        class Bad(BaseService):
            @property
            def route(self) -> str:  # type: ignore[override]
                return "GET /x"

            def execute(self, request: Request) -> None:
                return None


# --- Powertools event data classes as the input, Powertools middlewares around the handler ---------


def _http_event_classes() -> list[Any]:
    from aws_lambda_powertools.utilities.data_classes import (
        ALBEvent,
        APIGatewayProxyEvent,
        APIGatewayProxyEventV2,
        LambdaFunctionUrlEvent,
    )

    return [
        (APIGatewayProxyEvent, "apiGatewayProxyEvent.json"),
        (APIGatewayProxyEvent, "apiGatewayProxyEventPrincipalId.json"),
        (APIGatewayProxyEventV2, "apiGatewayProxyV2Event.json"),
        (APIGatewayProxyEventV2, "apiGatewayProxyV2Event_GET.json"),
        (APIGatewayProxyEventV2, "lambdaFunctionUrlEvent.json"),
        (LambdaFunctionUrlEvent, "lambdaFunctionUrlEvent.json"),
        (LambdaFunctionUrlEvent, "lambdaFunctionUrlEventWithHeaders.json"),
        (ALBEvent, "albEvent.json"),
        (ALBEvent, "albMultiValueHeadersEvent.json"),
    ]


@pytest.mark.parametrize(("event_class", "sample"), _http_event_classes())
def test_a_powertools_http_event_class_as_the_input_gets_the_real_event(
    event_class: Any, sample: str
) -> None:
    from pypwext.testing import read_result

    seen: list[Any] = []

    class Reads(BaseService):
        just_status_code = False

        def execute(self, event: event_class) -> dict[str, Any]:  # type: ignore[valid-type]
            seen.append(event)
            return {"method": event.http_method, "path": event.path, "query": event.query_string_parameters}

    raw = aws_samples.sample(sample)
    result = read_result(Reads.handler(raw, lambda_context()))
    assert result.status == 200, result.json
    (event,) = seen
    assert type(event) is event_class and event.raw_event == raw
    assert result.json == {
        "method": event.http_method,
        "path": event.path,
        "query": event.query_string_parameters,
    }
    assert result.json["method"] in ("GET", "POST", "PUT") and result.json["path"].startswith("/")


def _is_http_sample(name: str) -> bool:
    return name.startswith(("apiGatewayProxy", "alb", "lambdaFunctionUrl"))


@pytest.mark.parametrize("sample", aws_samples.names(_is_http_sample))
def test_every_real_http_sample_reaches_the_data_class_of_its_source(sample: str) -> None:
    """Every API Gateway, ALB and Function URL sample, through the Powertools class that reads
    its source: the wrapped event says what pypwext's own Request says."""
    import aws_lambda_powertools.utilities.data_classes as data_classes

    from pypwext.wire._events import EventSource, detect_source, parse_request

    raw = aws_samples.sample(sample)
    by_source = {
        EventSource.API_GATEWAY_REST: data_classes.APIGatewayProxyEvent,
        EventSource.API_GATEWAY_HTTP: data_classes.APIGatewayProxyEventV2,
        EventSource.FUNCTION_URL: data_classes.LambdaFunctionUrlEvent,
        EventSource.ALB: data_classes.ALBEvent,
    }
    event_class = by_source[detect_source(raw)]

    class Reads(BaseService):
        def execute(self, event: event_class) -> dict[str, Any]:  # type: ignore[valid-type]
            return {"method": event.http_method, "raw": event.raw_event is raw}

    answer = Reads.handler(raw, lambda_context())
    try:
        request = parse_request(raw, None)
    except BadRequest:  # a sample whose body says base64 and is not: refused before any input
        assert answer["statusCode"] == 400, answer
        return
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"]) == {"method": request.method, "raw": True}


def test_a_powertools_event_class_of_a_non_http_source_reads_a_direct_invocation() -> None:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, SQSEvent

    class CountRecords(BaseService):
        def execute(self, event: SQSEvent) -> dict[str, Any]:
            return {"bodies": [r.body for r in event.records]}

    class Detail(BaseService):
        def execute(self, event: EventBridgeEvent) -> dict[str, Any]:
            return {"type": event.detail_type, "source": event.source}

    raw = aws_samples.sample("sqsEvent.json")
    assert CountRecords.handler(raw, lambda_context())["body"] == {
        "bodies": [r["body"] for r in raw["Records"]]
    }
    bridge = aws_samples.sample("eventBridgeEvent.json")
    assert Detail.handler(bridge, lambda_context())["body"] == {
        "type": bridge["detail-type"],
        "source": bridge["source"],
    }


@pytest.mark.parametrize(
    ("class_name", "sample"),
    [
        ("APIGatewayProxyEventV2", "apiGatewayProxyEvent.json"),
        ("APIGatewayProxyEvent", "apiGatewayProxyV2Event.json"),
        ("ALBEvent", "lambdaFunctionUrlEvent.json"),
        ("APIGatewayProxyEvent", "sqsEvent.json"),
        ("SQSEvent", "apiGatewayProxyEvent.json"),
    ],
)
def test_an_event_of_another_source_answers_500_and_the_log_says_why(
    class_name: str, sample: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import aws_lambda_powertools.utilities.data_classes as data_classes

    event_class = getattr(data_classes, class_name)

    class Reads(BaseService):
        just_status_code = False

        def execute(self, event: event_class) -> dict[str, Any]:  # type: ignore[valid-type]
            return {"read": True}

    secret = "sk_live_planted_4242"
    event = aws_samples.sample(sample)
    if isinstance(event.get("headers"), dict):
        event["headers"] = {**event["headers"], "X-Api-Key": secret}
    else:
        event["Records"][0]["body"] = secret
    capsys.readouterr()
    raw = Reads.handler(event, lambda_context())
    out = capsys.readouterr().out
    status = raw["statusCode"]
    body = json.loads(raw["body"]) if isinstance(raw["body"], str) else raw["body"]
    assert status == 500 and body["error"]["msg"] == "Internal Server Error"
    assert class_name not in json.dumps(raw)  # the client never sees the reason
    assert f"Reads takes {class_name}, which reads" in out
    assert secret not in out and secret not in json.dumps(raw)  # nor does the event get logged


def test_a_service_with_a_powertools_input_still_runs_validate_first() -> None:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    class Checked(BaseService):
        just_status_code = False

        def validate(self, event: APIGatewayProxyEventV2) -> dict[str, Any]:
            if not event.body:
                raise BadRequest("a body is needed")
            return dict(event.json_body)

        def execute(self, data: dict[str, Any]) -> dict[str, Any]:
            return data

    raw = aws_samples.sample("apiGatewayProxyV2Event.json")
    answer = Checked.handler(raw, lambda_context())
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == json.loads(raw["body"])
    answer = Checked.handler({**raw, "body": ""}, lambda_context())
    assert answer["statusCode"] == 400


class _Tagged(BaseService):
    """Echoes the header a middleware added to the event."""

    just_status_code = False

    def execute(self, request: Request) -> dict[str, Any]:
        return {"tag": request.headers.get("x-middleware"), "path": request.path}


def _tagging_middleware() -> Any:
    from aws_lambda_powertools.middleware_factory import lambda_handler_decorator

    @lambda_handler_decorator
    def tagging(handler: Any, event: dict[str, Any], context: Any, tag: str = "added") -> Any:
        event = {**event, "headers": {**(event.get("headers") or {}), "X-Middleware": tag}}
        response = handler(event, context)
        response["headers"] = {**response.get("headers", {}), "X-Wrapped": "yes"}
        return response

    return tagging


def test_the_handler_is_a_plain_function_that_decorators_can_wrap() -> None:
    import inspect

    from pypwext.runtime._service import Handler

    handler = _Tagged.handler
    assert inspect.isfunction(handler) and handler.__name__ == "handler"
    assert list(inspect.signature(handler).parameters) == ["event", "context"]
    assert handler.service_class is _Tagged and isinstance(handler, Handler)
    assert handler.__module__ == __name__ and handler.__qualname__ == "_Tagged.handler"


def test_a_powertools_middleware_wraps_the_handler_end_to_end() -> None:
    from pypwext.runtime._service import Handler

    tagging = _tagging_middleware()
    wrapped = tagging(_Tagged.handler)
    with_option = tagging(_Tagged.handler, tag="chosen")

    @tagging
    def decorated(event: dict[str, Any], context: Any) -> Any:
        return _Tagged.handler(event, context)

    raw = aws_samples.sample("apiGatewayProxyEvent.json")
    for fn, tag in ((wrapped, "added"), (with_option, "chosen"), (decorated, "added")):
        answer = fn(raw, lambda_context())
        assert answer["statusCode"] == 200
        assert answer["headers"]["X-Wrapped"] == "yes"
        assert json.loads(answer["body"]) == {"tag": tag, "path": raw["path"]}
    # The wrapper keeps what functools.wraps copies, and is not taken for the bare entry point
    assert wrapped.__wrapped__ is _Tagged.handler and wrapped.service_class is _Tagged
    assert not isinstance(wrapped, Handler)


# --- PyPwExt's SERVICE_NAME next to Powertools' ---------------------------------------------------


def _fresh_service() -> type[BaseService]:
    class OrderBook(BaseService):
        def execute(self, request: Request) -> None:
            return None

    return OrderBook


def test_pypwexts_service_name_is_honoured_after_powertools(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    monkeypatch.setenv("SERVICE_NAME", "pypwext-orders")
    capsys.readouterr()
    _fresh_service().handler({"direct": True}, lambda_context())
    lines = json_lines(capsys.readouterr().out)
    assert lines and {line["service"] for line in lines} == {"pypwext-orders"}
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "powertools-orders")
    assert _fresh_service()().logger.service == "powertools-orders"
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "")
    assert _fresh_service()().logger.service == "pypwext-orders"
    monkeypatch.delenv("SERVICE_NAME")
    assert _fresh_service()().logger.service == "order-book"
