"""The OpenAPI document: every type the codec structures, docs and defaults, the responses, and
the command; each document is checked by openapi-spec-validator."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Literal

import attrs
import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from openapi_spec_validator import validate

from pypwext import BaseService, Conflict, Http, NotFound, Request, ServiceError, strict
from pypwext.runtime._routes import Api
from pypwext.tools._cli import openapi as openapi_cli
from pypwext.tools._local.targets import TargetError, load_project
from pypwext.tools._openapi import SchemaBuilder, openapi_document

REPO = Path(__file__).resolve().parents[2]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@attrs.frozen
class Line:
    """One line."""

    sku: str
    """The stock-keeping unit."""
    qty: int = attrs.field(default=1, metadata={"description": "How many."})


@dataclasses.dataclass
class Extra:
    note: str = "none"


@strict
@attrs.frozen
class Everything:
    """All the types."""

    order_id: int
    when: dt.datetime
    day: dt.date
    ref: uuid.UUID
    amount: Decimal
    colour: Colour
    kind: Literal["a", "b"]
    lines: list[Line]
    tags: set[str]
    pair: tuple[int, str]
    meta: dict[str, int]
    extra: Extra
    maybe: str | None = None
    flag: bool = False
    blob: bytes = b""
    ratio: float = 0.5
    many: list[int] = attrs.Factory(list)


@attrs.frozen
class Query:
    limit: int = 10
    colour: Colour | None = None
    lines: list[Line] = attrs.Factory(list)  # not a scalar: not a query parameter


class Update(BaseService):
    """Update an order.

    Every field, typed.
    """

    route = "PUT /orders/{order_id}"
    status = 202
    just_status_code = False

    def execute(self, data: Everything) -> Line:
        return data.lines[0]


class Search(BaseService):
    route = "GET /search"

    def execute(self, query: Query) -> list[Line] | None:
        return None


class Delete(BaseService):
    route = "DELETE /orders/{order_id}"

    def execute(self, request: Request) -> None:
        return None


class Files(BaseService):
    route = "ANY /files/{path+}"

    def execute(self, request: Request) -> bytes:
        return b""


class Text(BaseService):
    route = "POST /text"

    def execute(self, items: list[int]) -> str:
        return "ok"


API = Api(Update, Search, Delete, Files, Text, title="t", version="2")


@pytest.fixture(scope="module")
def doc() -> dict:
    document = openapi_document(API)
    validate(document)
    return document


def test_schemas_of_every_type(doc: dict) -> None:
    schemas = doc["components"]["schemas"]
    # The body of PUT /orders/{order_id}: Everything without order_id, which the path gives.
    everything = doc["paths"]["/orders/{order_id}"]["put"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    props = everything["properties"]
    assert everything["additionalProperties"] is False
    assert everything["description"] == "All the types."
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert props["day"] == {"type": "string", "format": "date"}
    assert props["ref"] == {"type": "string", "format": "uuid"}
    assert props["amount"]["format"] == "decimal"
    assert props["colour"] == {"$ref": "#/components/schemas/Colour"} or props["colour"]["enum"] == [
        "red",
        "blue",
    ]
    assert props["kind"] == {"enum": ["a", "b"]}
    assert props["lines"] == {"type": "array", "items": {"$ref": "#/components/schemas/Line"}}
    assert props["tags"]["uniqueItems"] is True
    assert props["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert props["meta"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["maybe"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["flag"] == {"type": "boolean", "default": False}
    assert props["blob"]["contentEncoding"] == "base64"
    assert props["many"]["default"] == []
    assert everything["required"] == [
        "when", "day", "ref", "amount", "colour", "kind", "lines", "tags", "pair", "meta", "extra",
    ]  # fmt: skip
    assert schemas["Line"]["properties"]["sku"]["description"] == "The stock-keeping unit."
    assert schemas["Line"]["properties"]["qty"] == {
        "type": "integer",
        "description": "How many.",
        "default": 1,
    }
    assert schemas["Extra"]["properties"]["note"]["default"] == "none"
    assert "description" not in schemas["Extra"]  # a dataclass's generated docstring is not a doc


def test_the_body_leaves_out_path_fields_and_path_params_are_typed(doc: dict) -> None:
    op = doc["paths"]["/orders/{order_id}"]["put"]
    assert op["operationId"] == "update"
    assert (op["summary"], op["description"]) == ("Update an order.", "Every field, typed.")
    assert op["parameters"] == [
        {"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert "order_id" not in body["properties"] and "order_id" not in body["required"]
    assert op["requestBody"]["required"] is True
    assert set(op["responses"]) == {"202", "400", "404", "500", "default"}
    assert op["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Line"
    }
    error = op["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}
    problems = doc["components"]["schemas"]["Error"]["properties"]["details"]["properties"]["problems"]
    assert problems["items"]["required"] == ["path", "reason"]


def test_get_fields_are_query_parameters_and_optional_results_add_204(doc: dict) -> None:
    op = doc["paths"]["/search"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in op["parameters"]] == [
        ("limit", "query", False),
        ("colour", "query", False),
    ]
    assert "requestBody" not in op
    assert set(op["responses"]) == {"200", "204", "400", "500", "default"}
    assert "content" not in op["responses"]["400"]  # just_status_code: errors without a body


def test_none_any_greedy_bytes_and_str(doc: dict) -> None:
    assert "204" in doc["paths"]["/orders/{order_id}"]["delete"]["responses"]
    files = doc["paths"]["/files/{path}"]
    assert set(files) == {"get", "post", "put", "patch", "delete", "description"}
    assert files["get"]["operationId"] == "files-get"
    assert "application/octet-stream" in files["get"]["responses"]["200"]["content"]
    text = doc["paths"]["/text"]["post"]
    assert text["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"type": "integer"},
    }
    assert "text/plain" in text["responses"]["200"]["content"]
    assert doc["info"] == {"title": "t", "version": "2"}


def test_a_single_service_a_handler_and_errors() -> None:
    validate(openapi_document(Search))
    validate(openapi_document(API.handler))
    with pytest.raises(ValueError, match="has no route"):

        class Unrouted(BaseService):
            def execute(self, request: Request) -> None:
                return None

        openapi_document(Unrouted)
    with pytest.raises(ValueError, match="needs an Api"):
        openapi_document(42)


def test_recursive_types_and_name_clashes() -> None:
    @attrs.frozen
    class Node:
        value: int
        children: list[Node] = attrs.Factory(list)

    builder = SchemaBuilder()
    assert builder.schema(Node) == {"$ref": "#/components/schemas/Node"}
    assert builder.components["Node"]["properties"]["children"]["items"] == {
        "$ref": "#/components/schemas/Node"
    }


def test_the_example_document_validates_and_the_command_prints_it(tmp_path: Path) -> None:
    out = io.StringIO()
    parser_args = type(
        "A",
        (),
        {"target": str(REPO / "examples/orders/api.py"), "title": None, "api_version": None, "output": None},
    )
    assert openapi_cli.run(parser_args, io.StringIO(), out) == 0
    document = json.loads(out.getvalue())
    validate(document)
    assert document["info"]["title"] == "pypwext example: orders"
    assert document["paths"]["/orders/{order_id}"]["get"]["parameters"][0]["schema"] == {
        "type": "integer",
        "examples": [1, 2],  # the example's metadata
    }


def test_targets_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="file not found"):
        load_project(str(tmp_path / "nope.py"))
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    with pytest.raises(TargetError, match="nothing to serve"):
        load_project(str(empty))
    with pytest.raises(TargetError, match="has no attribute 'nope'"):
        load_project(f"{empty}:nope")
    project = load_project(str(REPO / "examples/orders/api.py"))
    assert {"api", "handler", "get-order", "create-order", "create-offer"} <= set(project.names)
    assert project.api is not None and len(project.api.routes) == 5


# --- what the service really does: inputs, declared and raised errors, dependencies ---------------


class Mine(ServiceError):
    """The widget is locked by another order."""

    code = 423


class Locked(BaseService):
    """Reads the request itself."""

    route = "GET /locks/{lock_id}"
    just_status_code = False
    raises = (Conflict, Mine)

    def execute(self, request: Request) -> dict[str, str]:
        if request.path_params["lock_id"] == "gone":
            raise NotFound(f"no lock {request.path_params['lock_id']}")
        if request.query.get("teapot"):
            raise ServiceError("short and stout", code=418)
        if request.query.get("computed"):
            raise ServiceError("computed", code=400 + len(request.query))
        return {"lock": request.path_params["lock_id"]}


class Calls(BaseService):
    route = "POST /calls"
    just_status_code = False
    stock = Http("{STOCK_URL}/stock/{item_id}")

    def execute(self, item: Line) -> Line:
        return item


class ReadsV2(BaseService):
    route = "POST /v2"

    def execute(self, event: APIGatewayProxyEventV2) -> dict[str, str]:
        return {"path": event.raw_path}


@pytest.fixture(scope="module")
def truthful() -> dict:
    document = openapi_document(Api(Locked, Calls, ReadsV2, Delete))
    validate(document)
    return document


def test_a_request_input_lists_no_query_parameters_nor_a_400(truthful: dict) -> None:
    for path, method in (("/locks/{lock_id}", "get"), ("/orders/{order_id}", "delete")):
        op = truthful["paths"][path][method]
        assert [p["in"] for p in op["parameters"]] == ["path"], op["parameters"]
        assert "400" not in op["responses"]  # nothing is structured: nothing to refuse


def test_a_powertools_event_input_documents_no_body(truthful: dict) -> None:
    op = truthful["paths"]["/v2"]["post"]
    assert "requestBody" not in op and "parameters" not in op and "400" not in op["responses"]


def test_declared_and_raised_errors_are_responses_with_the_error_body(truthful: dict) -> None:
    responses = truthful["paths"]["/locks/{lock_id}"]["get"]["responses"]
    assert set(responses) == {"200", "404", "409", "418", "423", "500", "default"}
    for code in ("404", "409", "418", "423", "500"):
        assert responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }
    assert responses["423"]["description"] == "The widget is locked by another order."
    assert "NotFound: no lock {request.path_params['lock_id']}" in responses["404"]["description"]
    assert responses["418"]["description"] == "ServiceError: short and stout"
    assert responses["409"]["description"].startswith("The request conflicts")


def test_a_service_with_dependencies_answers_502_and_504(truthful: dict) -> None:
    responses = truthful["paths"]["/calls"]["post"]["responses"]
    assert {"400", "500", "502", "504"} <= set(responses)
    assert "did not answer in time" in responses["504"]["description"]
    assert "502" not in truthful["paths"]["/locks/{lock_id}"]["get"]["responses"]


def test_raises_must_name_service_error_classes() -> None:
    for wrong in ((ValueError,), (Conflict("x"),), ("Conflict",)):
        with pytest.raises(TypeError, match=r"raises takes a tuple of ServiceError classes"):
            type("Bad", (BaseService,), {"raises": wrong, "execute": lambda self, r: None})
    with pytest.raises(TypeError, match="option 'raises' takes tuple"):
        type("Bad", (BaseService,), {"raises": Conflict, "execute": lambda self, r: None})


def test_attrs_validators_are_constraints_of_the_document() -> None:
    from attrs import validators as v

    @attrs.frozen
    class Ruled:
        sku: str = attrs.field(validator=v.matches_re(r"[a-z0-9-]{1,40}\Z"))
        qty: int = attrs.field(validator=[v.ge(1), v.le(100)])
        price: float = attrs.field(default=1.0, validator=v.and_(v.gt(0), v.lt(1e6)))
        tags: list[str] = attrs.field(factory=list, validator=v.deep_iterable(v.min_len(1), v.max_len(5)))
        lines: list[Line] = attrs.field(
            factory=lambda: [Line("a")], validator=v.deep_iterable(v.instance_of(Line), v.min_len(1))
        )
        kind: str = attrs.field(default="a", validator=v.in_(["a", "b"]))
        colour: Colour = attrs.field(default=Colour.RED, validator=v.in_([Colour.RED]))
        maybe: int | None = attrs.field(default=None, validator=v.optional(v.gt(0)))
        prefix: str = attrs.field(default="x", validator=v.matches_re(r"x", func=__import__("re").match))

    class Rules(BaseService):
        route = "GET /rules/{qty}"

        def execute(self, ruled: Ruled) -> None:
            return None

    class PostRules(BaseService):
        route = "POST /rules"

        def execute(self, ruled: Ruled) -> None:
            return None

    document = openapi_document(Api(Rules, PostRules))
    validate(document)
    props = document["components"]["schemas"]["Ruled"]["properties"]
    assert props["sku"] == {"type": "string", "pattern": "^(?:[a-z0-9-]{1,40}$)$"}
    assert props["price"] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 1e6,
        "default": 1.0,
    }
    assert props["tags"]["items"] == {"type": "string", "minLength": 1} and props["tags"]["maxItems"] == 5
    assert props["lines"]["minItems"] == 1 and "minLength" not in props["lines"]
    assert props["kind"]["enum"] == ["a", "b"] and props["colour"]["enum"] == ["red"]
    assert props["maybe"]["exclusiveMinimum"] == 0 and props["prefix"]["pattern"] == "^(?:x)"
    op = document["paths"]["/rules/{qty}"]["get"]
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert params["qty"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert params["sku"]["pattern"] == "^(?:[a-z0-9-]{1,40}$)$"
    # The codec enforces what the document says: an input that breaks a rule answers 400
    from pypwext.testing import api_gateway_event, invoke

    bad = invoke(
        Rules, api_gateway_event("GET", "/rules/0", query={"sku": "Bad Id"}, path_params={"qty": "0"})
    )
    assert bad.status == 400


def test_field_examples_go_into_the_schema_and_the_parameters() -> None:
    @attrs.frozen
    class Ref:
        item_id: str = attrs.field(metadata={"examples": ["widget", "sicp"]})
        note: str = attrs.field(default="", metadata={"examples": "not a list"})  # ignored

    @dataclasses.dataclass
    class Body:
        qty: int = dataclasses.field(default=1, metadata={"examples": [3]})

    class Read(BaseService):
        route = "GET /items/{item_id}"

        def execute(self, ref: Ref) -> None:
            return None

    class Write(BaseService):
        route = "POST /items"

        def execute(self, body: Body) -> None:
            return None

    document = openapi_document(Api(Read, Write))
    validate(document)
    params = {p["name"]: p["schema"] for p in document["paths"]["/items/{item_id}"]["get"]["parameters"]}
    assert params == {
        "item_id": {"type": "string", "examples": ["widget", "sicp"]},
        "note": {"type": "string"},
    }
    assert document["components"]["schemas"]["Body"]["properties"]["qty"]["examples"] == [3]


def test_an_idempotent_service_documents_its_409_and_the_missing_key() -> None:
    from pypwext import Idempotency

    class Pay(BaseService):
        route = "POST /payments"
        just_status_code = False
        idempotency = Idempotency(key="body.payment_id")

        def execute(self, request: Request) -> None:
            return None

    class Tolerant(BaseService):
        route = "POST /tolerant"
        idempotency = Idempotency(key="body.payment_id", required=False)

        def execute(self, request: Request) -> None:
            return None

    document = openapi_document(Api(Pay, Tolerant))
    validate(document)
    pay = document["paths"]["/payments"]["post"]["responses"]
    assert pay["409"]["description"] == "A request with the same idempotency key is in progress."
    assert pay["400"]["description"] == "The request lacks its idempotency key."
    tolerant = document["paths"]["/tolerant"]["post"]["responses"]
    assert "409" in tolerant and "400" not in tolerant
