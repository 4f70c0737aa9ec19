"""A Powertools middleware around ``Service.handler``, served by ``pypwext serve`` and called
over HTTP: the middleware changes the event the service reads and the answer the client gets."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.integration.conftest import ServeProcess

pytestmark = pytest.mark.integration

APP = """
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from pypwext import BaseService


@lambda_handler_decorator
def stamped(handler, event, context, stamp="mw"):
    event = {**event, "headers": {**(event.get("headers") or {}), "x-stamp": stamp}}
    response = handler(event, context)
    response["headers"]["X-Stamped"] = "yes"
    return response


class Where(BaseService):
    route = "GET /where"

    def execute(self, event: APIGatewayProxyEvent) -> dict:
        return {"stamp": event.headers.get("x-stamp"), "path": event.path}


handler = stamped(Where.handler, stamp="served")
"""


def test_a_middleware_wrapped_handler_served_over_http(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    server = ServeProcess("app.py:handler", tmp_path, tmp_path / "serve.log", reload=False)
    try:
        server.wait()
        answer = requests.get(f"{server.url}/where", timeout=10)
    finally:
        server.stop()
    assert answer.status_code == 200, server.logs()
    assert answer.headers["X-Stamped"] == "yes"
    assert answer.json() == {"stamp": "served", "path": "/where"}
