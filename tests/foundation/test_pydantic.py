"""pydantic v2 models as inputs and results (issue 17), seen from outside: the handler's answer,
the log lines on stdout, the OpenAPI document, what a fresh interpreter imports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from pypwext import BaseService, InfoClassification, ServiceError, codec
from pypwext.kinds._batch import SqsBatchService
from pypwext.kinds._eventbridge import EventService
from pypwext.runtime._routes import Api
from pypwext.testing import (
    alb_event,
    api_gateway_event,
    eventbridge_event,
    function_url_event,
    invoke,
    lambda_context,
    sqs_event,
)
from pypwext.tools._openapi import openapi_document
from tests._support import aws_samples
from tests._support.fresh import fresh_python
from tests._support.logs import json_lines

REPO = Path(__file__).resolve().parents[2]

# --- the models ---------------------------------------------------------------------------------


class Line(BaseModel):
    """One line of an order."""

    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, Field(min_length=3, max_length=12, pattern=r"^[A-Z0-9-]+$")]
    quantity: Annotated[int, Field(gt=0, le=100)]


class Customer(BaseModel):
    name: str
    email: str = Field(json_schema_extra={"classification": "PII"})
    card: str | None = Field(default=None, json_schema_extra={"classification": InfoClassification.PII})


class Order(BaseModel):
    order_id: int = Field(alias="orderId")
    lines: list[Line] = Field(min_length=1)
    customer: Customer | None = None
    note: str | None = None

    @field_validator("note")
    @classmethod
    def polite(cls, value: str | None) -> str | None:
        if value == "rude":
            raise ValueError("expected a polite note")
        if value == "echo":
            raise ValueError(f"bad note {value!r}")  # quotes the input: never reaches a client
        return value


class Receipt(BaseModel):
    order_id: int = Field(serialization_alias="orderId")
    total_items: int = Field(serialization_alias="totalItems")


class Lines(RootModel[list[Line]]):
    pass


@attrs.frozen
class Envelope:
    tenant: str
    order: Order


@dataclasses.dataclass
class Batch:
    orders: list[Order]


class PlaceOrder(BaseService):
    just_status_code = False

    def execute(self, order: Order) -> Receipt:
        assert isinstance(order, Order) and all(isinstance(line, Line) for line in order.lines)
        return Receipt(order_id=order.order_id, total_items=sum(line.quantity for line in order.lines))


GOOD = {"orderId": 7, "lines": [{"sku": "AB-1", "quantity": 2}, {"sku": "CD-2", "quantity": "3"}]}


def errors_of(result: Any) -> dict[str, Any]:
    assert result.status == 400, result.body
    (error,) = result.errors
    assert error["code"] == 400 and error["msg"] == "invalid request"
    return dict(error["details"])


# --- input and result on every HTTP source -------------------------------------------------------

FACTORIES = {
    "rest": lambda body: api_gateway_event("POST", "/orders", body=body),
    "http": lambda body: api_gateway_event("POST", "/orders", body=body, version="2.0"),
    "function-url": lambda body: function_url_event("POST", "/orders", body=body),
    "alb": lambda body: alb_event("POST", "/orders", body=body),
}


@pytest.mark.parametrize("source", sorted(FACTORIES))
def test_a_model_is_the_input_and_the_result_on_every_http_source(source: str) -> None:
    result = invoke(PlaceOrder, FACTORIES[source](GOOD))
    assert result.status == 200
    assert result.json == {"orderId": 7, "totalItems": 5}  # pydantic's serialiser, aliases respected


def test_a_model_is_the_input_of_a_direct_invocation() -> None:
    assert invoke(PlaceOrder, GOOD).json == {"orderId": 7, "totalItems": 5}


def test_list_optional_root_and_nested_models() -> None:
    class Many(BaseService):
        def execute(self, orders: list[Order]) -> list[Receipt]:
            return [Receipt(order_id=o.order_id, total_items=len(o.lines)) for o in orders]

    class Maybe(BaseService):
        def execute(self, order: Order | None) -> dict[str, Any]:
            return {"given": order is not None}

    class Rooted(BaseService):
        def execute(self, lines: Lines) -> Lines:
            return Lines(sorted(lines.root, key=lambda line: line.sku))

    class Nested(BaseService):
        def execute(self, order: Order) -> Order:
            return order

    assert (
        invoke(Many, api_gateway_event("POST", "/", body=[GOOD, GOOD])).json
        == [{"orderId": 7, "totalItems": 2}] * 2
    )
    assert invoke(Maybe, api_gateway_event("POST", "/")).json == {"given": False}
    assert invoke(Maybe, api_gateway_event("POST", "/", body=GOOD)).json == {"given": True}
    rooted = invoke(
        Rooted, api_gateway_event("POST", "/", body=[{"sku": "ZZ-9", "quantity": 1}, GOOD["lines"][0]])
    )
    assert rooted.json == [{"sku": "AB-1", "quantity": 2}, {"sku": "ZZ-9", "quantity": 1}]
    body = {**GOOD, "customer": {"name": "Ada", "email": "ada@example.com"}}
    assert invoke(Nested, api_gateway_event("POST", "/", body=body)).json == {
        "orderId": 7,
        "lines": [{"sku": "AB-1", "quantity": 2}, {"sku": "CD-2", "quantity": 3}],
        "customer": {"name": "Ada", "email": "ada@example.com", "card": None},
        "note": None,
    }


def test_a_model_inside_an_attrs_class_and_a_dataclass() -> None:
    class Tenant(BaseService):
        just_status_code = False

        def execute(self, envelope: Envelope) -> dict[str, Any]:
            return {"tenant": envelope.tenant, "order": envelope.order}

    class Bulk(BaseService):
        just_status_code = False

        def execute(self, batch: Batch) -> int:
            return len(batch.orders)

    answer = invoke(Tenant, api_gateway_event("POST", "/", body={"tenant": "t1", "order": GOOD}))
    assert answer.json["order"]["orderId"] == 7 and answer.json["tenant"] == "t1"
    assert invoke(Bulk, api_gateway_event("POST", "/", body={"orders": [GOOD, GOOD]})).json == 2
    bad = {"tenant": 5, "order": {"orderId": "x", "lines": [{"sku": "AB-1"}]}}
    assert errors_of(invoke(Tenant, api_gateway_event("POST", "/", body=bad)))["problems"] == [
        {"path": "tenant", "reason": "expected a string, got the number 5"},
        {"path": "order.orderId", "reason": "expected an integer"},
        {"path": "order.lines[0].quantity", "reason": "required field missing"},
    ]
    bad_bulk = {"orders": [GOOD, {**GOOD, "lines": []}]}
    assert errors_of(invoke(Bulk, api_gateway_event("POST", "/", body=bad_bulk)))["problems"] == [
        {"path": "orders[1].lines", "reason": "expected at least 1 item(s)"}
    ]


def test_query_and_path_parameters_fill_a_model_like_an_attrs_input() -> None:
    class Query(BaseModel):
        order_id: int = Field(alias="orderId")
        limit: int = 10

    class Lookup(BaseService):
        route = "GET /orders/{orderId}"

        def execute(self, query: Query) -> dict[str, int]:
            return {"orderId": query.order_id, "limit": query.limit}

    event = api_gateway_event("GET", "/orders/42", path_params={"orderId": "42"}, query={"limit": "3"})
    assert invoke(Lookup, event).json == {"orderId": 42, "limit": 3}


# --- failures: the same 400 as an attrs input ----------------------------------------------------


def test_a_bad_body_answers_problems_by_path_in_pypwext_words() -> None:
    body = {
        "orderId": "seven",
        "lines": [
            {"sku": "AB-1", "quantity": 2},
            {"sku": "x", "quantity": 0, "colour": "red"},
            {"sku": "lower-case", "quantity": 101},
        ],
        "customer": {"name": ["Ada"]},
        "note": "rude",
    }
    details = errors_of(invoke(PlaceOrder, api_gateway_event("POST", "/", body=body)))
    assert details == {
        "problems": [
            {"path": "orderId", "reason": "expected an integer"},
            {"path": "lines[1].sku", "reason": "expected at least 3 character(s)"},
            {"path": "lines[1].quantity", "reason": "expected a value greater than 0"},
            {"path": "lines[1].colour", "reason": "unexpected field"},
            {"path": "lines[2].sku", "reason": "does not match the expected pattern"},
            {"path": "lines[2].quantity", "reason": "expected a value of at most 100"},
            {"path": "customer.name", "reason": "expected a string"},
            {"path": "customer.email", "reason": "required field missing"},
            {"path": "note", "reason": "expected a polite note"},
        ]
    }


@attrs.frozen
class AttrsLine:
    sku: str
    quantity: int


@attrs.frozen
class AttrsOrder:
    orderId: int  # the same wire name as the pydantic model's alias
    lines: list[AttrsLine]


class PlaceAttrsOrder(BaseService):
    just_status_code = False

    def execute(self, order: AttrsOrder) -> int:
        return order.orderId


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [{"sku": "AB-1"}]},
        {"orderId": 1, "lines": "AB-1"},
        {"orderId": 1, "lines": [{"quantity": 1}, {"sku": "AB-1", "quantity": 1}]},
        ["not", "an", "object"],
        5,
        None,
    ],
)
def test_the_400_is_the_one_an_attrs_input_answers(body: Any) -> None:
    """Same status, error, message, paths and (for the shapes and missing fields) reasons."""
    for factory in FACTORIES.values():
        ours = invoke(PlaceOrder, factory(body))
        theirs = invoke(PlaceAttrsOrder, factory(body))
        assert ours.status == theirs.status == 400
        assert ours.headers.get("content-type") == theirs.headers.get("content-type")
        mine, attrs_ = errors_of(ours)["problems"], errors_of(theirs)["problems"]
        assert [p["path"] for p in mine] == [p["path"] for p in attrs_]
        assert [p["reason"].split(", got ")[0] for p in mine] == [
            p["reason"].split(", got ")[0] for p in attrs_
        ]


def test_problems_are_bounded_with_a_count_of_the_rest() -> None:
    from pypwext._pydantic import MAX_PROBLEMS

    for count, listed, more in (
        (MAX_PROBLEMS, MAX_PROBLEMS, None),
        (MAX_PROBLEMS + 1, MAX_PROBLEMS, 1),
        (500, 20, 480),
    ):
        body = {"orderId": 1, "lines": [{"sku": "AB-1", "quantity": -1}] * count}
        details = errors_of(invoke(PlaceOrder, api_gateway_event("POST", "/", body=body)))
        assert len(details["problems"]) == listed
        assert details["problems"][0] == {
            "path": "lines[0].quantity",
            "reason": "expected a value greater than 0",
        }
        assert details.get("more") == more


SECRET = "hunter2-Zq9-SECRET"


@pytest.mark.parametrize(
    ("body", "names_a_key"),
    [
        ({"orderId": SECRET, "lines": [{"sku": SECRET, "quantity": SECRET}]}, False),
        ({"orderId": 1, "lines": [{"sku": "AB-1", "quantity": 1}], "note": "echo"}, False),
        (
            {
                "orderId": 1,
                "lines": [{"sku": "AB-1", "quantity": 1}],
                "customer": {"name": SECRET, "email": [SECRET]},
            },
            False,
        ),
        ([SECRET], False),
        (json.dumps(SECRET), False),
        # an unexpected field is named by its path, as an attrs input names it (a key, not a value)
        ({"orderId": 1, "lines": [{"sku": "AB-1", "quantity": 1, SECRET: SECRET}]}, True),
    ],
)
def test_no_input_value_library_text_or_url_in_the_answer(body: Any, names_a_key: bool) -> None:
    result = invoke(PlaceOrder, api_gateway_event("POST", "/", body=body))
    assert result.status == 400
    text = result.body
    for word in ("pydantic", "errors.pydantic.dev", "Input should", "Value error", "bad note", "http"):
        assert word not in text
    assert text.count(SECRET) == (1 if names_a_key else 0)


def test_a_model_validator_and_a_union_answer_in_pypwext_words() -> None:
    class Shape(BaseModel):
        value: int | Line
        pair: tuple[int, str]
        tags: dict[str, int]

    class Shapes(BaseService):
        just_status_code = False

        def execute(self, shape: Shape) -> None:
            return None

    body = {"value": "x", "pair": [1], "tags": {"a": 1, "b": "two"}}
    assert errors_of(invoke(Shapes, api_gateway_event("POST", "/", body=body)))["problems"] == [
        {"path": "value", "reason": "matches none of the accepted shapes"},
        {"path": "pair[1]", "reason": "required field missing"},
        {"path": "tags[b]", "reason": "expected an integer"},
    ]


# --- batches and EventBridge ---------------------------------------------------------------------


def test_sqs_records_are_models_and_a_bad_record_fails_alone() -> None:
    seen: list[int] = []

    class Orders(SqsBatchService):
        def process_record(self, order: Order) -> None:
            assert isinstance(order, Order)
            seen.append(order.order_id)

    event = sqs_event([GOOD, {**GOOD, "orderId": "x"}, {**GOOD, "orderId": 9}])
    answer = Orders.handler(event, lambda_context())
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [event["Records"][1]["messageId"]]
    assert seen == [7, 9]


def test_eventbridge_detail_is_a_model_and_a_bad_detail_is_a_400() -> None:
    class Change(BaseModel):
        instance: str = Field(alias="instance_id")
        state: str

    class Instances(EventService):
        def execute(self, change: Change) -> Change:
            return change

    sample = aws_samples.sample("eventBridgeEvent.json")
    assert Instances.handler(sample, lambda_context()) == {
        "instance_id": "i-1234567890abcdef0",
        "state": "terminated",
    }
    with pytest.raises(ServiceError) as info:
        Instances.handler(eventbridge_event({"instance_id": 3}), lambda_context())
    assert info.value.code == 400
    assert info.value.details["problems"] == [
        {"path": "instance_id", "reason": "expected a string"},
        {"path": "state", "reason": "required field missing"},
    ]


# --- logs ----------------------------------------------------------------------------------------


def test_classified_model_fields_are_masked_in_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")

    class Register(BaseService):
        service = "pydantic-log-test"

        def execute(self, order: Order) -> Order:
            return order

    body = {**GOOD, "customer": {"name": "Ada", "email": "ada@example.com", "card": "4111-SECRET"}}
    assert (
        invoke(Register, api_gateway_event("POST", "/", body=body)).json["customer"]["email"]
        == "ada@example.com"
    )
    out = capsys.readouterr().out
    lines = json_lines(out)
    enter = next(
        e for e in lines if isinstance(e["message"], dict) and e["message"].get("msg") == "enter execute"
    )
    assert enter["message"]["args"]["customer"] == {
        "name": "Ada",
        "email": "*** redacted (PII) ***",
        "card": "*** redacted (PII) ***",
    }
    assert "ada@example.com" not in out and "4111-SECRET" not in out  # in no log line at all


def test_a_classified_model_value_is_masked_by_value_wherever_it_goes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In a service that is not itself classified, the value of a PII field of a pydantic input
    is masked by value in every later line: copied into a plain dict, formatted into an
    exception message (as for attrs inputs)."""

    class Copies(BaseService):
        service = "pydantic-copies-test"

        def execute(self, order: Order) -> dict[str, str]:
            assert order.customer is not None
            self.logger.info("copied", extra={"contact": {"to": order.customer.email}})
            raise ValueError(f"cannot mail {order.customer.email}")

    body = {**GOOD, "customer": {"name": "Ada", "email": "ada@example.com"}}
    capsys.readouterr()
    assert invoke(Copies, api_gateway_event("POST", "/", body=body)).status == 500
    out = capsys.readouterr().out
    assert '"copied"' in out and "cannot mail" in out
    assert "ada@example.com" not in out


# --- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_components_carry_the_models_constraints() -> None:
    class Create(BaseService):
        """Place an order."""

        route = "POST /orders"

        def execute(self, order: Order) -> Receipt:
            raise AssertionError

    class Listing(BaseService):
        route = "GET /lines"

        def execute(self, lines: Lines) -> Lines:
            raise AssertionError

    doc = openapi_document(Api(Create, Listing))
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/orders"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Order"}
    order = schemas["Order"]
    assert order["required"] == ["orderId", "lines"]
    assert order["properties"]["lines"]["minItems"] == 1
    assert order["properties"]["lines"]["items"] == {"$ref": "#/components/schemas/Line"}
    line = schemas["Line"]
    assert (
        line["properties"]["sku"]["minLength"] == 3 and line["properties"]["sku"]["pattern"] == "^[A-Z0-9-]+$"
    )
    assert line["properties"]["quantity"]["exclusiveMinimum"] == 0 and line["additionalProperties"] is False
    assert schemas["Customer"]["properties"]["email"]["x-classification"] == "PII"
    assert "classification" not in schemas["Customer"]["properties"]["email"]
    ok = doc["paths"]["/orders"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Receipt-Output"}  # what the answer holds: its aliases
    assert sorted(schemas["Receipt-Output"]["properties"]) == ["orderId", "totalItems"]
    assert schemas["Lines"]["type"] == "array"
    text = json.dumps(doc)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= set(schemas), "every reference resolves to a component"

    from openapi_spec_validator import validate

    validate(doc)


# --- pydantic stays optional ---------------------------------------------------------------------


def test_a_service_without_pydantic_models_imports_nothing_of_pydantic() -> None:
    program = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "import attrs, pypwext\n"
        "from pypwext import BaseService\n"
        "from pypwext.testing import api_gateway_event, invoke\n"
        "from pypwext.tools._openapi import openapi_document\n"
        "@attrs.frozen\n"
        "class Item:\n"
        "    id: int\n"
        "class Put(BaseService):\n"
        "    route = 'POST /items'\n"
        "    just_status_code = False\n"
        "    def execute(self, item: Item) -> Item:\n"
        "        return item\n"
        "ok = invoke(Put, api_gateway_event('POST', '/items', body={'id': 1})).status\n"
        "bad = invoke(Put, api_gateway_event('POST', '/items', body={'id': 'x'})).status\n"
        "openapi_document(Put)\n"
        "print(json.dumps([ok, bad, sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core'))]))\n"
    )
    assert fresh_python(program)[0] == [200, 400, []]


def test_a_class_with_a_model_input_is_accepted_at_definition() -> None:
    class Accepts(BaseService):
        def validate(self, order: Order) -> Order:
            return order

    assert Accepts._pypwext_spec.input_type is Order
    assert codec.structure(GOOD, Order).order_id == 7


# --- fuzz ----------------------------------------------------------------------------------------

MARK = "ZqXv"  # every generated string value starts with it: an answer that contains it echoes input

_text = st.text(max_size=12).map(lambda s: MARK + s)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)
_line = st.fixed_dictionaries({"sku": _json, "quantity": _json}, optional={"extra": _json})
_near = st.fixed_dictionaries(
    {"orderId": _json, "lines": st.lists(_line, max_size=4) | _json},
    optional={"customer": st.fixed_dictionaries({"name": _json}, optional={"email": _json}), "note": _json},
)


class Fuzzed(BaseService):
    just_status_code = False

    def execute(self, order: Order) -> dict[str, int]:
        return {"lines": len(order.lines)}  # answers nothing of the input


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_json | _near, source=st.sampled_from(sorted(FACTORIES)))
def test_fuzz_a_pydantic_service_answers_2xx_or_4xx_in_json_without_internals(body: Any, source: str) -> None:
    result = invoke(Fuzzed, FACTORIES[source](body))
    assert 200 <= result.status < 300 or 400 <= result.status < 500, result.body
    text = result.content.decode("utf-8")
    decoded = json.loads(text)
    if result.status >= 400:
        assert decoded["error"]["code"] == result.status
    for word in ("pydantic", "errors.pydantic.dev", "Input should", "Traceback", MARK):
        assert word not in text, (word, text)


# --- limits --------------------------------------------------------------------------------------


def test_a_huge_bad_body_answers_a_small_400() -> None:
    body = {"orderId": 1, "lines": [{"sku": "x", "quantity": 0}] * 20_000}  # ~0.6 MB, 40 000 errors
    result = invoke(PlaceOrder, api_gateway_event("POST", "/", body=body))
    details = errors_of(result)
    assert len(details["problems"]) == 20 and details["more"] == 40_000 - 20
    assert len(result.body) < 3000


class Node(BaseModel):
    name: str = "n"
    children: list[Node] = []


def test_a_deep_input_has_a_bounded_path() -> None:
    class Tree(BaseService):
        just_status_code = False

        def execute(self, node: Node) -> None:
            return None

    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(25):  # 300 characters of path, 51 levels of JSON (h13-input refuses past 64)
        cursor["children"] = [{}]
        cursor = cursor["children"][0]
    cursor["name"] = 5
    (problem,) = errors_of(invoke(Tree, api_gateway_event("POST", "/", body=deep)))["problems"]
    assert problem["reason"] == "expected a string"
    assert len(problem["path"]) <= 256 and problem["path"].startswith("...")
    assert problem["path"].endswith("children[0].name")


def test_a_model_that_is_not_fully_defined_fails_at_class_definition() -> None:
    class Late(BaseModel):
        value: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match="cannot be built from a request body"):

        class Broken(BaseService):
            def execute(self, late: Late) -> None:
                return None
