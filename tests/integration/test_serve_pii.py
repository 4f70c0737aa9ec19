"""``pypwext serve`` and what its own log shows, and which source it emulates by itself.

* A target whose services are classified PII or AUTHORIZATION_INFO: the server's access line
  shows the route template (``/customers/{id}``) or a mask, never the concrete path or the query,
  for every answer (200, the Api's 404/405, the server's own refusals). A planted value is grepped
  for in the server's whole output.
* Without ``--source``, a service whose input is Powertools' ``APIGatewayProxyEventV2`` (or
  ``ALBEvent``) gets the events it reads; ``--source`` given still wins.

Every server is a real ``python -m pypwext.tools._cli serve`` process on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._support.logs import json_lines
from tests.integration.conftest import ServeProcess
from tests.integration.test_serve_hostile import exchange, request

pytestmark = pytest.mark.integration

PLANTED = "ada.planted"

TARGETS = {
    "pii.py": """
from pypwext import BaseService, InfoClassification, Request
from pypwext.runtime._routes import Api


class Customer(BaseService):
    route = "GET /customers/{id}"
    classification = InfoClassification.PII

    def execute(self, request: Request) -> dict:
        return {"found": True}


class Health(BaseService):
    route = "GET /health"

    def execute(self, request: Request) -> str:
        return "ok"


api = Api(Customer, Health)
""",
    "session_svc.py": """
from pypwext import BaseService, InfoClassification, Request


class Session(BaseService):
    classification = InfoClassification.AUTHORIZATION_INFO

    def execute(self, request: Request) -> str:
        return "ok"
""",
    "plain.py": """
from pypwext import BaseService, Request


class Orders(BaseService):
    route = "GET /orders/{id}"

    def execute(self, request: Request) -> str:
        return "ok"
""",
    "v2.py": """
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from pypwext import BaseService


class Echo(BaseService):
    route = "GET /echo/{word}"

    def execute(self, event: APIGatewayProxyEventV2) -> dict:
        return {"path": event.raw_path, "version": event.version}
""",
    "alb.py": """
from aws_lambda_powertools.utilities.data_classes import ALBEvent

from pypwext import BaseService


class Echo(BaseService):
    def execute(self, event: ALBEvent) -> dict:
        return {"path": event.path, "elb": "elb" in event.request_context.raw_event}
""",
    "mixed.py": """
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, APIGatewayProxyEventV2

from pypwext import BaseService
from pypwext.runtime._routes import Api


class Old(BaseService):
    route = "GET /old"

    def execute(self, event: APIGatewayProxyEvent) -> str:
        return "old"


class New(BaseService):
    route = "GET /new"

    def execute(self, event: APIGatewayProxyEventV2) -> str:
        return "new"


api = Api(Old, New)
""",
}

SERVERS = {
    "pii": ("pii.py", None),
    "token": ("session_svc.py:Session", None),
    "plain": ("plain.py", None),
    "v2": ("v2.py", None),
    "v2-rest": ("v2.py", "rest"),
    "alb": ("alb.py:Echo", None),
    "mixed": ("mixed.py", None),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServeProcess]]:
    root = tmp_path_factory.mktemp("serve-pii")
    for name, text in TARGETS.items():
        (root / name).write_text(text, encoding="utf-8")
    started = {
        key: ServeProcess(target, root, root / f"{key}.log", source=source, reload=False)
        for key, (target, source) in SERVERS.items()
    }
    try:
        for server in started.values():
            server.wait()
        yield started
    finally:
        for server in started.values():
            server.stop()


def _access(server: ServeProcess, marker: str) -> list[dict[str, object]]:
    logs = server.wait_for_log(marker)
    lines = json_lines(logs)
    return [e for e in lines if e.get("logger") == "pypwext.serve" and "status" in e]


# (method, target, extra request headers, status, path the access line shows)
PII_REQUESTS = [
    ("GET", f"/customers/{PLANTED}%40example.com?email={PLANTED}", [], 200, "/customers/{id}"),
    ("GET", f"/customers/{PLANTED}", [], 200, "/customers/{id}"),
    ("GET", "/health?probe=1", [], 200, "/health?probe=1"),  # not PII: the concrete path
    ("POST", f"/customers/{PLANTED}", [], 405, "*** redacted (PII) ***"),
    ("GET", f"/nowhere/{PLANTED}", [], 404, "*** redacted (PII) ***"),
    ("GET", f"/customers/{PLANTED}", [("Host", "evil.example")], 421, "*** redacted (PII) ***"),
    ("POST", f"/customers/{PLANTED}", [("Content-Length", "x")], 400, "*** redacted (PII) ***"),
    ("GET", f"/openapi.json?q={PLANTED}", [], 200, "/openapi.json"),
]


def test_a_pii_api_s_access_lines_show_templates_never_the_path_or_the_query(
    servers: dict[str, ServeProcess],
) -> None:
    server = servers["pii"]
    for method, target, headers, status, _ in PII_REQUESTS:
        answer = request(server.port, method, target, headers)
        assert answer.status == status, (target, answer.raw[:300])
    # a request line the server refuses before reading it
    bad = exchange(server.port, f"GET /customers/{PLANTED}\x01 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert bad.status == 400
    request(server.port, "GET", "/health?done=1")
    lines = _access(server, "/health?done=1")
    shown = [(e["method"], e["path"], e["status"]) for e in lines]
    for method, _, _, status, path in PII_REQUESTS:
        assert (method, path, status) in shown, (method, path, shown)
    logs = server.logs()
    assert PLANTED not in logs, [line for line in logs.splitlines() if PLANTED in line]
    assert "example.com" not in logs


def test_an_authorization_info_service_without_routes_shows_a_mask(servers: dict[str, ServeProcess]) -> None:
    server = servers["token"]
    assert request(server.port, "GET", f"/sessions/{PLANTED}?token={PLANTED}").status == 200
    request(server.port, "POST", f"/2015-03-31/functions/Session/invocations?x={PLANTED}", body=b"{}")
    lines = _access(server, "/invocations 200")
    assert ("GET", "*** redacted (AUTHORIZATION_INFO) ***", 200) in [
        (e["method"], e["path"], e["status"]) for e in lines
    ]
    assert ("POST", "/2015-03-31/functions/Session/invocations") in [(e["method"], e["path"]) for e in lines]
    assert PLANTED not in server.logs()


def test_a_service_that_holds_no_personal_data_keeps_the_concrete_path(
    servers: dict[str, ServeProcess],
) -> None:
    server = servers["plain"]
    assert request(server.port, "GET", "/orders/7?expand=items").status == 200
    lines = _access(server, "/orders/7?expand=items")
    assert [(e["path"], e["status"]) for e in lines][-1] == ("/orders/7?expand=items", 200)


def test_without_source_the_input_type_picks_the_events(servers: dict[str, ServeProcess]) -> None:
    answer = request(servers["v2"].port, "GET", "/echo/hello")
    assert answer.status == 200, answer.raw[:500]
    assert answer.json() == {"path": "/echo/hello", "version": "2.0"}
    assert "as http-api events (from the services' input type" in servers["v2"].logs()
    answer = request(servers["alb"].port, "GET", "/anything")
    assert answer.status == 200, answer.raw[:500]
    assert answer.json() == {"path": "/anything", "elb": True}


def test_a_given_source_wins_over_the_input_type(servers: dict[str, ServeProcess]) -> None:
    server = servers["v2-rest"]
    assert request(server.port, "GET", "/echo/hello").status == 500  # what --source rest asked for
    assert "(pypwext serve: --source http-api)" in server.wait_for_log("--source http-api")


def test_services_that_read_different_sources_get_rest_and_a_warning(
    servers: dict[str, ServeProcess],
) -> None:
    server = servers["mixed"]
    assert request(server.port, "GET", "/old").status == 200
    assert request(server.port, "GET", "/new").status == 500
    logs = server.logs()
    assert "Old reads rest; New reads http-api or function-url" in logs and "serving rest events" in logs
