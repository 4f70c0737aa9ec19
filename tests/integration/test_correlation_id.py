"""A correlation id read from a client's header is taken only when it is fit to travel (issue 13).

``correlation_id_path = 'headers."x-correlation-id"'`` lets a client name the id that an Http
dependency sends downstream as ``X-Correlation-Id``. One with CR/LF or another control
character, a non-ASCII character, or more than 128 characters is not taken: the request id
replaces it and the call goes on (it used to answer 400 at the dependency call). Every request is
received by a real server on 127.0.0.1 (``fault_server.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fault_server import FaultServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypwext import BaseService, Http, Request
from pypwext.observability._context import MAX_CORRELATION_ID_CHARS
from pypwext.testing import api_gateway_event, invoke
from tests._support.logs import json_lines

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    started = FaultServer().start()
    try:
        yield started
    finally:
        started.stop()


class Relay(BaseService):
    correlation_id_path = 'headers."x-correlation-id"'
    api = Http("{FAULT_URL}/x")

    def execute(self, request: Request) -> Any:
        return self.api.get()


def _sent(server: FaultServer, monkeypatch: pytest.MonkeyPatch, value: str) -> tuple[int, str, str | None]:
    """(status, the event's request id, the X-Correlation-Id the backend received)."""
    monkeypatch.setenv("FAULT_URL", server.base_url)
    server.clear()
    event = api_gateway_event("GET", "/relay", headers={"x-correlation-id": value})
    result = invoke(Relay, event)
    received = server.received()
    assert len(received) == 1, (result.status, result.body)
    headers = {k.lower(): v for k, v in received[0].headers.items()}
    return result.status, event["requestContext"]["requestId"], headers.get("x-correlation-id")


UNFIT = {
    "crlf": "c-1\r\nX-Injected: 1",
    "lf": "c-1\nX-Injected: 1",
    "cr": "c-1\rX-Injected: 1",
    "nul": "c-1\x00",
    "tab": "c-1\tx",
    "del": "c-1\x7f",
    "esc": "c-1\x1b[31m",
    "non-ascii": "c-\u00e9t\u00e9",
    "line-separator": "c-1\u2028x",
    "over-the-limit": "c" * (MAX_CORRELATION_ID_CHARS + 1),
    "huge": "c" * 10_000,
    "leading-space": " c-1",
    "empty": "",
}


@pytest.mark.parametrize("case", sorted(UNFIT))
def test_an_unfit_correlation_id_is_replaced_by_the_request_id(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    status, request_id, sent = _sent(server, monkeypatch, UNFIT[case])
    assert status == 200
    assert sent == request_id


@pytest.mark.parametrize(
    "value", ["corr-1", "c" * MAX_CORRELATION_ID_CHARS, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"]
)
def test_a_fit_correlation_id_travels_as_it_is(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    assert _sent(server, monkeypatch, value)[::2] == (200, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=200))
def test_whatever_the_header_holds_the_call_goes_on_with_a_clean_id(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    status, request_id, sent = _sent(server, monkeypatch, value)
    assert status == 200
    fit = 0 < len(value) <= MAX_CORRELATION_ID_CHARS and value.isascii() and value.isprintable()
    assert sent == (value if fit and value == value.strip() else request_id)


@pytest.mark.parametrize("case", ["crlf", "huge", "esc"])
def test_the_log_lines_carry_the_same_id_as_the_downstream_call(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """One rule decides the id for the log and for the call: an unfit one is replaced in both."""

    capsys.readouterr()
    status, request_id, sent = _sent(server, monkeypatch, UNFIT[case])
    lines = json_lines(capsys.readouterr().out)
    assert status == 200 and sent == request_id and lines
    assert {line.get("correlation_id") for line in lines} == {request_id}
