"""Api: routing by method and path template for every HTTP source, 404/405 in each source's
format, HEAD/OPTIONS, direct invoke envelopes, and the import-time checks."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypwext import BaseService, ConfigurationError, Cors, InfoClassification, NotFound, Request
from pypwext.runtime._routes import Api, parse_template
from pypwext.testing import alb_event, api_gateway_event, function_url_event, invoke, lambda_context
from tests._support import aws_samples
from tests._support.logs import log_entries


@attrs.frozen
class OrderRef:
    order_id: int


@attrs.frozen
class NewItem:
    order_id: int
    description: str
    quantity: int = 1


class GetOrder(BaseService):
    route = "GET /orders/{order_id}"
    just_status_code = False

    def execute(self, ref: OrderRef) -> dict[str, Any]:
        if ref.order_id == 404:
            raise NotFound("no such order")
        return {"id": ref.order_id, "kind": "order"}


class GetSpecial(BaseService):
    route = "GET /orders/special"

    def execute(self, request: Request) -> dict[str, str]:
        return {"kind": "special"}


class AddItem(BaseService):
    route = "POST /orders/{order_id}/items"
    status = 201
    just_status_code = False

    def execute(self, item: NewItem) -> NewItem:
        return item


class Files(BaseService):
    route = "ANY /files/{path+}"

    def execute(self, request: Request) -> dict[str, str]:
        return {"method": request.method, "path": request.path_params["path"]}


class Preflighted(BaseService):
    route = "PUT /cors/{x}"
    cors = Cors(origins=["https://shop.example"])

    def execute(self, request: Request) -> str:
        return "put"


API = Api(GetOrder, GetSpecial, AddItem, Files, Preflighted)


def rest(method: str, path: str, **kw: Any) -> dict[str, Any]:
    return api_gateway_event(method, path, **kw)


def http_api(method: str, path: str, **kw: Any) -> dict[str, Any]:
    return api_gateway_event(method, path, version="2.0", **kw)


def alb_multi(method: str, path: str, **kw: Any) -> dict[str, Any]:
    return alb_event(method, path, multi_value=True, **kw)


SOURCES = [rest, http_api, function_url_event, alb_event, alb_multi]


@pytest.mark.parametrize("make", SOURCES)
def test_dispatches_by_template_and_structures_path_params(make: Any) -> None:
    result = invoke(API.handler, make("GET", "/orders/7"))
    assert (result.status, result.json) == (200, {"id": 7, "kind": "order"})
    created = invoke(API.handler, make("POST", "/orders/3/items", body={"description": "pen"}))
    assert (created.status, created.json) == (201, {"order_id": 3, "description": "pen", "quantity": 1})


@pytest.mark.parametrize("make", SOURCES)
def test_a_bad_path_param_is_a_400_that_names_it(make: Any) -> None:
    result = invoke(API.handler, make("GET", "/orders/seven"))
    assert result.status == 400
    problems = result.errors[0]["details"]["problems"]
    assert problems == [{"path": "order_id", "reason": "expected an integer, got the string 'seven'"}]


@pytest.mark.parametrize("make", SOURCES)
def test_unknown_path_is_404_and_wrong_method_is_405_with_allow(make: Any) -> None:
    missing = invoke(API.handler, make("GET", "/nope"))
    assert missing.status == 404
    assert missing.errors[0]["msg"] == "no route for GET /nope"
    wrong = invoke(API.handler, make("DELETE", "/orders/7"))
    assert wrong.status == 405
    assert wrong.headers["allow"] == "GET, HEAD, OPTIONS"
    assert wrong.errors[0]["code"] == 405


def test_404_and_405_have_the_exact_shape_of_each_source() -> None:
    assert set(API.handler(rest("GET", "/nope"))) == {
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    }
    assert "cookies" in API.handler(http_api("GET", "/nope"))
    assert API.handler(alb_event("DELETE", "/orders/1"))["statusDescription"] == "405 Method Not Allowed"
    assert "multiValueHeaders" in API.handler(alb_multi("GET", "/nope"))


def test_just_status_code_api_answers_without_a_body() -> None:
    quiet = Api(GetSpecial, just_status_code=True)
    answer = quiet.handler(rest("GET", "/nope"))
    assert (answer["statusCode"], answer["body"]) == (404, "")


def test_literal_beats_parameter_and_exact_method_beats_any() -> None:
    assert invoke(API.handler, rest("GET", "/orders/special")).json == {"kind": "special"}
    assert invoke(API.handler, rest("GET", "/orders/special/")).json == {"kind": "special"}


def test_greedy_parameter_takes_the_rest_and_any_takes_every_method() -> None:
    result = invoke(API.handler, http_api("PATCH", "/files/a/b%20c.txt"))
    assert result.json == {"method": "PATCH", "path": "a/b c.txt"}
    assert invoke(API.handler, http_api("GET", "/files")).status == 404


def test_head_goes_to_get_without_a_body() -> None:
    answer = API.handler(rest("HEAD", "/orders/7"))
    assert answer["statusCode"] == 200 and answer["body"] == ""
    assert answer["headers"]["Content-Type"] == "application/json"


def test_options_answers_allow_and_preflight_goes_to_the_service_cors() -> None:
    plain = invoke(API.handler, rest("OPTIONS", "/orders/7"))
    assert (plain.status, plain.headers["allow"]) == (204, "GET, HEAD, OPTIONS")
    preflight = invoke(
        API.handler,
        rest(
            "OPTIONS",
            "/cors/1",
            headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "PUT"},
        ),
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"


def test_existing_path_parameters_of_a_proxy_resource_are_kept() -> None:
    event = rest("GET", "/files/x", path_params={"proxy": "files/x"}, resource="/{proxy+}")
    assert invoke(API.handler, event).json == {"method": "GET", "path": "x"}


def test_a_malformed_event_is_a_400_in_the_source_format() -> None:
    event = rest("POST", "/orders/1/items", body="e30=")
    event["isBase64Encoded"] = True
    event["body"] = "%%%"
    assert API.handler(event)["statusCode"] == 400


# --- direct invoke --------------------------------------------------------------------------


def test_direct_invoke_by_route_adds_path_params_to_the_body() -> None:
    result = invoke(API.handler, {"route": "POST /orders/5/items", "body": {"description": "ink"}})
    assert result.status == 201
    assert result.json == {"order_id": 5, "description": "ink", "quantity": 1}


def test_direct_invoke_by_operation() -> None:
    result = invoke(API.handler, {"operation": "get-order", "body": {"order_id": 404}})
    assert result.status == 404
    assert result.errors[0]["msg"] == "no such order"


def test_direct_invoke_errors_are_documents() -> None:
    assert invoke(API.handler, {"route": "GET /nope"}).status == 404
    assert invoke(API.handler, {"route": "DELETE /orders/1"}).status == 405
    assert invoke(API.handler, {"operation": "nope"}).status == 404
    bad = invoke(API.handler, {"order_id": 1})
    assert bad.status == 400
    assert "get-order" in bad.errors[0]["details"]["operations"]


# --- introspection and import-time checks -----------------------------------------------------


def test_introspection() -> None:
    assert API.handler.api is API
    assert [r.operation for r in API.routes][:2] == ["get-order", "get-special"]
    assert API.routes[2].params == ("order_id",)
    assert API.allowed_methods("/files/x") == ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    assert API.allowed_methods("/nope") == ()
    assert Api([GetOrder]).services == (GetOrder,)


def test_parse_template() -> None:
    assert parse_template("/") == ()
    assert parse_template("/a/{b}") == (("literal", "a"), ("param", "b"))


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("/a/", "must not end with '/'"),
        ("/a//b", "empty segment"),
        ("/a/{b", "unbalanced braces"),
        ("/a/{b}x", "mixes text and a parameter"),
        ("/{rest+}/x", "must be the last segment"),
        ("/{1x}", "not an identifier"),
        ("/{a}/{a}", "appears twice"),
    ],
)
def test_bad_templates_fail_at_import(template: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):

        class Bad(BaseService):
            route = f"GET {template}"

            def execute(self, request: Request) -> None:
                return None

    class Unrouted(BaseService):
        def execute(self, request: Request) -> None:
            return None

    with pytest.raises(ValueError, match=message):
        Api({f"GET {template}": Unrouted})


@pytest.mark.parametrize("text", ["GET /orders/{id}.json", "GET /orders//x", "GET orders", "FETCH /orders"])
def test_a_route_is_refused_when_its_class_is_defined_with_the_words_of_api(text: str) -> None:
    """One rule, applied when the class is defined and by Api(), with the same words:
    ``GET /orders/{id}.json`` used to pass the class's check and be refused only by Api()."""

    class Unrouted(BaseService):
        def execute(self, request: Request) -> None:
            return None

    with pytest.raises(ValueError) as by_api:
        Api({text: Unrouted})
    with pytest.raises(ConfigurationError) as by_class:

        class Routed(BaseService):
            route = text

            def execute(self, request: Request) -> None:
                return None

    said_by_api = str(by_api.value).removeprefix(f"{Unrouted.__qualname__}: ")
    assert str(by_class.value) == f"{Unrouted.__qualname__.replace('Unrouted', 'Routed')}: {said_by_api}"
    if text == "GET /orders/{id}.json":
        assert said_by_api == (
            "path template '/orders/{id}.json': segment '{id}.json' mixes text and a parameter; use '/orders/{id}'"
        )


def test_two_services_on_one_route_and_a_service_without_route_fail() -> None:
    class Other(BaseService):
        route = "GET /orders/{id}"

        def execute(self, request: Request) -> None:
            return None

    with pytest.raises(ValueError, match=r"GetOrder .*and .*Other .*same shape"):
        Api(GetOrder, Other)

    class Unrouted(BaseService):
        def execute(self, request: Request) -> None:
            return None

    with pytest.raises(TypeError, match="Unrouted has no route"):
        Api(Unrouted)
    with pytest.raises(TypeError, match="at least one"):
        Api()
    with pytest.raises(TypeError, match="service classes"):
        Api(object)  # type: ignore[arg-type]


# --- what an Api writes in the log ----------------------------------------------------------------


def summaries(out: str) -> list[dict[str, Any]]:
    """The summary lines among the printed lines (each line must be JSON)."""
    return [e for e in log_entries(out, every=True) if "duration_ms" in e]


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (rest("GET", "/nowhere"), 404),
        (rest("DELETE", "/orders/7"), 405),
        (rest("OPTIONS", "/orders/7"), 204),
        (http_api("GET", "/nowhere"), 404),
        (function_url_event("PATCH", "/orders/7"), 405),
        (alb_event("GET", "/nowhere"), 404),
        ({"route": "GET /nope"}, 404),
        ({"route": "DELETE /orders/1"}, 405),
        ({"operation": "nope"}, 404),
        ({"order_id": 1}, 400),
        ("malformed", 400),
    ],
    ids=lambda v: str(v)[:30],
)
def test_every_answer_of_the_api_itself_writes_one_summary_line(
    event: Any, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    if event == "malformed":
        event = rest("POST", "/orders/1/items", body="e30=")
        event["isBase64Encoded"], event["body"] = True, "%%%"
    answer = API.handler(event, lambda_context("api"))
    assert answer["statusCode"] == status
    lines = summaries(capsys.readouterr().out)
    assert len(lines) == 1
    line = lines[0]
    assert line["status"] == status and line["message"].endswith(f"-> {status}")
    assert line["operation"] == "api" and line["level"] == "INFO"
    assert line["function_name"] == "api" and "function_request_id" in line


@attrs.frozen
class CustomerRef:
    id: str


class GetCustomer(BaseService):
    route = "GET /customers/{id}"
    classification = InfoClassification.PII

    def execute(self, ref: CustomerRef) -> dict[str, str]:
        self.logger.info("found")
        return {"id": ref.id}


PII_API = Api(GetCustomer, GetOrder)
EMAIL = "grace.hopper@example.com"


@pytest.mark.parametrize("make", SOURCES)
def test_a_pii_service_behind_an_api_logs_the_template_never_the_path(
    make: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    answer = invoke(PII_API.handler, make("GET", f"/customers/{EMAIL}"))
    assert answer.status == 200
    out = capsys.readouterr().out
    assert EMAIL not in out and quote(EMAIL) not in out
    (line,) = summaries(out)
    assert line["path"] == "/customers/{id}" and line["message"] == "GET /customers/{id} -> 200"


@pytest.mark.parametrize("make", SOURCES)
def test_an_api_with_a_pii_service_masks_the_path_of_its_own_answers(
    make: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for method, path in (("GET", f"/nowhere/{EMAIL}"), ("DELETE", f"/customers/{EMAIL}")):
        assert PII_API.handler(make(method, path))["statusCode"] in (404, 405)
        out = capsys.readouterr().out
        assert EMAIL not in out and quote(EMAIL) not in out
        (line,) = summaries(out)
        assert line["path"] == "*** redacted (PII) ***" and line["classification"] == "PII"


@pytest.mark.parametrize("make", SOURCES)
def test_a_single_pii_service_with_a_route_logs_its_template(
    make: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = GetCustomer.handler(
        {**make("GET", f"/customers/{EMAIL}"), "pathParameters": {"id": EMAIL}}, lambda_context()
    )
    assert answer["statusCode"] == 200
    out = capsys.readouterr().out
    assert EMAIL not in out
    (line,) = summaries(out)
    assert line["path"] == "/customers/{id}"


HTTP_SAMPLES = {
    name: aws_samples.sample(name)
    for name in (
        "apiGatewayProxyEvent.json",
        "apiGatewayProxyV2Event.json",
        "lambdaFunctionUrlEvent.json",
        "albEvent.json",
        "albMultiValueHeadersEvent.json",
    )
}


def _aimed(event: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    if "rawPath" in event:
        event["rawPath"] = path
        event["requestContext"]["http"]["method"] = method
        event["requestContext"]["http"]["path"] = path
        event.pop("routeKey", None)
    else:
        event["httpMethod"], event["path"] = method, path
        event.pop("resource", None)
    return event


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sample=st.sampled_from(sorted(HTTP_SAMPLES)),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "BREW"]),
    path=st.one_of(
        st.sampled_from(["/orders/7", "/orders/special", "/orders/7/items", "/files/a/b", "/cors/1", "/"]),
        st.text(alphabet="/abc%7e.{}", max_size=20).map(lambda p: "/" + p),
    ),
    corrupt=st.sampled_from([None, "base64", "headers"]),
)
def test_every_answer_to_a_real_sample_writes_exactly_one_summary_line(
    sample: str, method: str, path: str, corrupt: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    event = _aimed(HTTP_SAMPLES[sample], method, path)
    if corrupt == "base64":
        event["isBase64Encoded"], event["body"] = True, "%%%"
    elif corrupt == "headers":
        event["headers"] = {"content-type": 7}
    capsys.readouterr()
    answer = API.handler(event, lambda_context("api"))
    lines = summaries(capsys.readouterr().out)
    assert len(lines) == 1, lines
    assert lines[0]["status"] == answer["statusCode"]


def _many_services() -> list[type[BaseService]]:
    templates = [
        "GET /orders/{order_id}",
        "POST /orders",
        "ANY /orders/{order_id}/items/{rest+}",
        "GET /{tenant}/orders",
        "PUT /{tenant}/{thing}",
        "GET /",
        "DELETE /{everything+}",
        "GET /caf%C3%A9/menu",
        *(f"GET /res{i}/{{item_id}}" for i in range(150)),
    ]
    services = []
    for index, template in enumerate(templates):

        def execute(self: BaseService, request: Request) -> dict[str, Any]:
            return dict(request.path_params)

        services.append(type(f"Many{index}", (BaseService,), {"route": template, "execute": execute}))
    return services


_MANY = Api(_many_services())
_SEGMENTS = st.sampled_from(
    ["orders", "res0", "res149", "res150", "7", "items", "a", "café", "caf%C3%A9", ""]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SEGMENTS, max_size=4), st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]))
def test_many_routes_match_as_trying_every_route_does(segments: list[str], method: str) -> None:
    """The index of an Api with many routes finds what matching the path against each route
    finds: the same service, parameters and allowed methods (and a 404 where none matches)."""
    path = "/" + "/".join(segments)
    found = [(r, p) for r in _MANY.routes if (p := r.match(path)) is not None]
    got = _MANY.match(method, path)
    if not found:
        assert got.route is None and got.allowed == ()
        return
    found.sort(key=lambda pair: pair[0].specificity)
    wanted = [method, "ANY"] if method != "HEAD" else ["HEAD", "GET", "ANY"]
    expected = next(((r, p) for want in wanted for r, p in found if r.method == want), None)
    if expected is None:
        assert got.route is None and got.allowed == _MANY.allowed_methods(path) != ()
    else:
        assert (got.route, got.params) == expected
        answer = invoke(_MANY.handler, api_gateway_event(method, path))
        assert answer.status == 200
        if method != "HEAD":
            assert answer.json == expected[1]


@pytest.mark.parametrize("kind", ["sqs", "eventbridge", "s3"])
def test_an_api_refuses_a_service_of_an_event_kind(kind: str) -> None:
    """A batch, EventBridge or S3 service answers events, not HTTP requests: routing one would
    skip its own event handling, so Api() refuses it when it is built."""
    from pypwext import EventService, S3ObjectService, SqsBatchService

    base = {"sqs": SqsBatchService, "eventbridge": EventService, "s3": S3ObjectService}[kind]
    method = {"sqs": "process_record", "eventbridge": "execute", "s3": "process_record"}[kind]
    Events = type("Events", (base,), {"route": "POST /events", method: lambda self, data: None})
    with pytest.raises(TypeError, match="not HTTP requests"):
        Api(Events)
