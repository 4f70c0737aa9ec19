"""``pypwext serve`` under attack: hostile clients written with ``socket`` against real servers.

Each attack is what a web page, a rebound DNS name or a broken client can do to a development
server on 127.0.0.1: a Host it does not serve (DNS rebinding), a cross-origin post to the Invoke
API, bytes trickled or never sent, a lying ``Content-Length``, a burst of connections, CR/LF in
a header (sent by the client, or returned by the handler). Every server is a real
``python -m pypwext.tools._cli serve`` process on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import json
import select
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pypwext.tools._local.guard import MAX_BODY_BYTES, READ_TIMEOUT_S
from tests.integration.conftest import ServeProcess

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DROP_BOUND_S = 30.0  # the promise: a slow or silent client is dropped within 30 s
ANSWER_BOUND_S = 10.0  # a generous bound for one answer on a loaded machine

INJECT = '''
"""Answers that would inject a header when sent as they are, one per path."""
import json

BAD = {
    "/crlf": {"headers": {"X-Ok": "1\\r\\nX-Injected: yes"}},
    "/lf": {"headers": {"X-Ok": "1\\nX-Injected: yes"}},
    "/cr": {"headers": {"X-Ok": "1\\rX-Injected: yes"}},
    "/nul": {"headers": {"X-Ok": "1\\u0000X-Injected: yes"}},
    "/name": {"headers": {"X-Injected: yes\\r\\nX-Ok": "1"}},
    "/name-lf": {"headers": {"X-Ok\\n": "1"}},
    "/multi": {"multiValueHeaders": {"X-Ok": ["1", "2\\r\\nX-Injected: yes"]}},
    "/cookie": {"cookies": ["a=1\\r\\nX-Injected: yes"]},
    "/description": {"statusDescription": "200 OK\\r\\nX-Injected: yes"},
}


def handler(event, context):
    path = event.get("rawPath") or event.get("path")
    headers = event.get("headers") or {}
    multi = event.get("multiValueHeaders") or {}
    seen = sorted(set(headers) | set(multi))
    answer = {"statusCode": 200, "body": json.dumps({"headers": seen})}
    if "requestContext" in event and "elb" in event["requestContext"]:
        answer["statusDescription"] = "200 OK"
    answer.update(BAD.get(path, {}))
    return answer
'''


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServeProcess]]:
    root = tmp_path_factory.mktemp("hostile")
    (root / "inject.py").write_text(INJECT, encoding="utf-8")
    shutil.copytree(REPO / "examples" / "orders", root / "orders", ignore=shutil.ignore_patterns("tests"))
    started = {
        "orders": ServeProcess("orders/api.py", root, root / "orders.log", reload=False),
        "rest": ServeProcess("inject.py:handler", root, root / "rest.log", reload=False),
        "http-api": ServeProcess(
            "inject.py:handler", root, root / "http.log", source="http-api", reload=False
        ),
        "alb": ServeProcess("inject.py:handler", root, root / "alb.log", source="alb", reload=False),
    }
    try:
        for server in started.values():
            server.wait()
        yield started
    finally:
        for server in started.values():
            server.stop()


class Answer:
    """A raw HTTP answer: status, raw header lines, body."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.lines = [line.decode("latin-1") for line in lines[1:]]

    def header(self, name: str) -> list[str]:
        prefix = name.lower() + ":"
        return [line.split(":", 1)[1].strip() for line in self.lines if line.lower().startswith(prefix)]

    def json(self) -> object:
        return json.loads(self.body)


def _complete(raw: bytes) -> bool:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value.strip())
    return False


def exchange(port: int, data: bytes, timeout: float = ANSWER_BOUND_S) -> Answer:
    """Send ``data`` as it is and read one answer (until it is complete or the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        raw = b""
        deadline = time.monotonic() + timeout
        while not _complete(raw):
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            raw += chunk
    return Answer(raw)


def request(
    port: int, method: str, path: str, headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> Answer:
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in (headers or []))]
    names = {k.lower() for k, _ in headers or []}
    if "host" not in names:
        lines.append(f"Host: 127.0.0.1:{port}")
    if body and not names & {"content-length", "transfer-encoding"}:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return exchange(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def still_serves(server: ServeProcess) -> None:
    answer = request(server.port, "GET", "/orders/1")
    assert answer.status == 200, answer.raw[:300]


# --- Host: DNS rebinding ------------------------------------------------------------------------

REFUSED_HOSTS = [
    "evil.example:{port}",
    "evil.example",
    "127.0.0.1.nip.io:{port}",
    "localhost.evil.example:{port}",
    "127.0.0.1:{other}",
    "localhost",
    "127.0.0.1:{port}@evil.example",
    "[::1",
    "",
]


@pytest.mark.parametrize("path", ["/orders/1", "/openapi.json", "/docs"])
@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_a_host_the_server_does_not_serve_is_refused(
    servers: dict[str, ServeProcess], host: str, path: str
) -> None:
    port = servers["orders"].port
    answer = request(port, "GET", path, [("Host", host.format(port=port, other=port + 1))])
    assert answer.status == 421, answer.raw[:300]
    assert answer.json() == {"message": f"this server answers requests for http://127.0.0.1:{port} only"}


def test_no_host_and_two_hosts_are_refused(servers: dict[str, ServeProcess]) -> None:
    port = servers["orders"].port
    no_host = exchange(port, b"GET /orders/1 HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert no_host.status == 421
    two = request(port, "GET", "/orders/1", [("Host", f"127.0.0.1:{port}"), ("Host", "evil.example")])
    assert two.status == 421


def test_the_invoke_api_refuses_a_rebound_host(servers: dict[str, ServeProcess]) -> None:
    port = servers["orders"].port
    answer = request(
        port,
        "POST",
        "/2015-03-31/functions/get-order/invocations",
        [("Host", f"rebind.evil.example:{port}")],
        b'{"order_id": 1}',
    )
    assert answer.status == 421


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}"])
def test_the_names_of_the_address_it_serves_pass(servers: dict[str, ServeProcess], host: str) -> None:
    port = servers["orders"].port
    answer = request(port, "GET", "/orders/1", [("Host", host.format(port=port))])
    assert answer.status == 200


# --- Origin: the Invoke API from a web page -----------------------------------------------------

CROSS_ORIGIN = [
    [("Origin", "http://evil.example")],
    [("Origin", "null")],
    [("Origin", "http://localhost:{other}")],
    [("Origin", "https://127.0.0.1:{port}")],
    [("Sec-Fetch-Site", "cross-site")],
    [("Sec-Fetch-Site", "same-site"), ("Origin", "http://127.0.0.1:{other}")],
    [("Origin", "http://evil.example"), ("Content-Type", "text/plain")],  # a "simple" request
]


@pytest.mark.parametrize("headers", CROSS_ORIGIN, ids=lambda h: ";".join(f"{k}={v}" for k, v in h))
def test_a_cross_origin_browser_request_to_the_invoke_api_is_refused(
    servers: dict[str, ServeProcess], headers: list[tuple[str, str]]
) -> None:
    server = servers["orders"]
    filled = [(k, v.format(port=server.port, other=server.port + 1)) for k, v in headers]
    answer = request(
        server.port, "POST", "/2015-03-31/functions/get-order/invocations", filled, b'{"order_id": 1}'
    )
    assert answer.status == 403, answer.raw[:300]
    assert "statusCode" not in answer.body.decode()  # the function did not run
    assert answer.header("Access-Control-Allow-Origin") == []


def test_a_cors_preflight_to_the_invoke_api_is_not_granted(servers: dict[str, ServeProcess]) -> None:
    port = servers["orders"].port
    answer = request(
        port,
        "OPTIONS",
        "/2015-03-31/functions/get-order/invocations",
        [
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
    )
    assert answer.status == 403
    assert not any(line.lower().startswith("access-control-allow") for line in answer.lines)


@pytest.mark.parametrize(
    "headers",
    [[], [("Origin", "http://127.0.0.1:{port}")], [("Sec-Fetch-Site", "same-origin")]],
    ids=["no-origin", "own-origin", "same-origin"],
)
def test_the_invoke_api_answers_its_own_origin_and_non_browser_clients(
    servers: dict[str, ServeProcess], headers: list[tuple[str, str]]
) -> None:
    port = servers["orders"].port
    filled = [(k, v.format(port=port)) for k, v in headers]
    answer = request(port, "POST", "/2015-03-31/functions/get-order/invocations", filled, b'{"order_id": 1}')
    assert answer.status == 200
    assert answer.json()["statusCode"] == 200  # type: ignore[index]


# --- slow clients -------------------------------------------------------------------------------


def _hostile(port: int, opening: bytes, trickle: bytes, results: dict[str, float | str], name: str) -> None:
    """Send ``opening``, then one byte of ``trickle`` every 0.25 s (cycling); record how long
    the server took to drop the connection (EOF, a reset or an answer), or a failure after 30 s."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            if opening:
                sock.sendall(opening)
            if name.startswith("idle"):  # a complete request: take its answer, then say nothing
                raw = b""
                while not _complete(raw):
                    raw += sock.recv(65536)
                assert Answer(raw).status == 200
                started = time.monotonic()
            i = 0
            while time.monotonic() - started < DROP_BOUND_S:
                ready, _, _ = select.select([sock], [], [], 0.25)
                if ready:
                    sock.recv(65536)  # an answer (408) or EOF: the server gave up on us
                    results[name] = time.monotonic() - started
                    return
                if trickle:
                    sock.send(trickle[i % len(trickle) : i % len(trickle) + 1])
                    i += 1
            results[name] = "still connected after 30 s"
    except OSError:  # reset or broken pipe: dropped
        results[name] = time.monotonic() - started


SLOW = {
    "silent": (b"", b""),
    "request line one byte at a time": (b"", b"GET /orders/1 HTTP/1.1"),
    "headers one byte at a time": (b"GET /orders/1 HTTP/1.1\r\n", b"X-Slow: aaaaaaaaaaaaaaaaaaaa"),
    "body one byte at a time": (
        b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n",
        b"{",
    ),
    "Content-Length larger than what arrives": (
        b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 100\r\n\r\n{}",
        b"",
    ),
    "idle after a first request (keep-alive)": (
        b"GET /orders/1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n",
        b"",
    ),
}


def test_slow_and_silent_clients_are_dropped_without_holding_up_others(
    servers: dict[str, ServeProcess],
) -> None:
    server = servers["orders"]
    results: dict[str, float | str] = {}
    threads = []
    for name, (opening, trickle) in SLOW.items():
        data = opening.replace(b"{port}", str(server.port).encode())
        threads.append(threading.Thread(target=_hostile, args=(server.port, data, trickle, results, name)))
    for thread in threads:
        thread.start()
    # meanwhile, good clients get their answers promptly
    answered = 0
    while any(t.is_alive() for t in threads) and answered < 200:
        started = time.monotonic()
        still_serves(server)
        assert time.monotonic() - started < ANSWER_BOUND_S
        answered += 1
        time.sleep(0.2)
    for thread in threads:
        thread.join(DROP_BOUND_S + 5)
    assert answered >= 3
    late = {
        name: result
        for name, result in ((n, results.get(n)) for n in SLOW)
        if not isinstance(result, float) or not READ_TIMEOUT_S - 1 <= result <= DROP_BOUND_S
    }
    assert late == {}, f"{len(late)} of {len(SLOW)} slow clients not dropped in time: {late}"


# --- Content-Length and chunked framing -------------------------------------------------------------

BAD_FRAMING = {
    "negative": (["Content-Length: -1"], b"{}", 400),
    "non-numeric": (["Content-Length: abc"], b"{}", 400),
    "exponent": (["Content-Length: 1e3"], b"{}", 400),
    "plus sign": (["Content-Length: +2"], b"{}", 400),
    "two different values": (["Content-Length: 2", "Content-Length: 3"], b"{}", 400),
    "a list of different values": (["Content-Length: 2, 3"], b"{}", 400),
    "huge": (["Content-Length: 99999999999999999999999"], b"{}", 400),
    "over the body limit": ([f"Content-Length: {MAX_BODY_BYTES + 1}"], b"{}", 413),
    "with Transfer-Encoding": (
        ["Content-Length: 2", "Transfer-Encoding: chunked"],
        b"2\r\n{}\r\n0\r\n\r\n",
        400,
    ),
    "unknown transfer coding": (["Transfer-Encoding: gzip"], b"{}", 400),
    "malformed chunk size": (["Transfer-Encoding: chunked"], b"zz\r\n{}\r\n0\r\n\r\n", 400),
    "negative chunk size": (["Transfer-Encoding: chunked"], b"-2\r\n{}\r\n0\r\n\r\n", 400),
    "chunk longer than its size": (["Transfer-Encoding: chunked"], b"1\r\n{}\r\n0\r\n\r\n", 400),
    "chunks over the body limit": (["Transfer-Encoding: chunked"], b"7fffffff\r\n{}", 413),
}


@pytest.mark.parametrize("case", list(BAD_FRAMING))
def test_a_malformed_content_length_is_a_400_and_the_server_goes_on(
    servers: dict[str, ServeProcess], case: str
) -> None:
    server = servers["orders"]
    headers, body, status = BAD_FRAMING[case]
    head = "\r\n".join(["POST /orders HTTP/1.1", f"Host: 127.0.0.1:{server.port}", *headers])
    answer = exchange(server.port, head.encode() + b"\r\n\r\n" + body)
    assert answer.status == status, answer.raw[:300]
    assert "message" in answer.json()  # type: ignore[operator]
    assert "Traceback" not in answer.body.decode("latin-1")
    still_serves(server)


def test_equal_content_lengths_and_chunked_bodies_are_read(servers: dict[str, ServeProcess]) -> None:
    port = servers["orders"].port
    order = b'{"id": 5, "description": "x", "items": [{"id": 1, "quantity": 2, "description": "y"}]}'
    twice = request(port, "POST", "/orders", [("Content-Length", str(len(order)))] * 2, order)
    assert twice.status == 201, twice.raw[:300]
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(order[i : i + 10]), order[i : i + 10]) for i in range(0, len(order), 10)
    )
    chunked = request(port, "POST", "/orders", [("Transfer-Encoding", "chunked")], chunks + b"0\r\n\r\n")
    assert chunked.status == 201, chunked.raw[:300]


# --- a burst of connections ---------------------------------------------------------------------------


def test_a_burst_of_100_connections_some_slow_is_served_without_stalls(
    servers: dict[str, ServeProcess],
) -> None:
    server = servers["orders"]
    slow: list[socket.socket] = []
    try:
        for _ in range(20):  # silent connections that hold a thread each
            slow.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        statuses: list[int | None] = []
        lock = threading.Lock()
        barrier = threading.Barrier(80)

        def good() -> None:
            barrier.wait(10)
            answer = request(server.port, "GET", "/orders/2")
            with lock:
                statuses.append(answer.status)

        started = time.monotonic()
        threads = [threading.Thread(target=good) for _ in range(80)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        elapsed = time.monotonic() - started
        assert statuses == [200] * 80
        assert elapsed < 20, f"80 requests took {elapsed:.1f}s"
    finally:
        for sock in slow:
            sock.close()


# --- CR/LF in headers ------------------------------------------------------------------------------

RESPONSE_CASES = [
    ("rest", "/crlf"),
    ("rest", "/lf"),
    ("rest", "/cr"),
    ("rest", "/nul"),
    ("rest", "/name"),
    ("rest", "/multi"),
    ("http-api", "/crlf"),
    ("http-api", "/cookie"),
    ("alb", "/crlf"),
    ("alb", "/description"),
]


@pytest.mark.parametrize(("source", "path"), RESPONSE_CASES)
def test_a_handler_cannot_inject_a_header_into_the_answer(
    servers: dict[str, ServeProcess], source: str, path: str
) -> None:
    server = servers[source]
    answer = request(server.port, "GET", path)
    assert not any(line.lower().startswith("x-injected") for line in answer.lines), answer.raw[:300]
    assert answer.status == 502, answer.raw[:300]
    assert answer.json() == {"message": "Internal server error"}
    assert "control character" in server.wait_for_log("control character")
    assert request(server.port, "GET", "/fine").status == 200


def test_a_header_name_ending_in_a_line_feed_is_refused(servers: dict[str, ServeProcess]) -> None:
    """A name is an HTTP token to its very end: ``X-Ok\\n`` would write a bare LF into the
    answer's head."""
    server = servers["rest"]
    answer = request(server.port, "GET", "/name-lf")
    assert answer.status == 502, answer.raw[:300]
    assert b"X-Ok\n" not in answer.raw
    assert "is not an HTTP token" in server.wait_for_log("is not an HTTP token")


REQUEST_CASES = {
    "bare CR splits one header into two": b"X-Ok: 1\rX-Injected: yes\r\n",
    "obsolete line folding": b"X-Ok: 1\r\n X-Injected: yes\r\n",
    "NUL in a value": b"X-Ok: 1\x00X-Injected: yes\r\n",
    "space in a name": b"X Injected: yes\r\n",
    "no colon": b"X-Injected yes\r\n",
}


@pytest.mark.parametrize("case", list(REQUEST_CASES))
def test_a_client_cannot_smuggle_a_header_into_the_event(servers: dict[str, ServeProcess], case: str) -> None:
    server = servers["rest"]
    head = f"GET /fine HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode() + REQUEST_CASES[case]
    answer = exchange(server.port, head + b"Connection: close\r\n\r\n")
    assert b"X-Injected" not in answer.body  # the handler never saw it
    assert answer.status == 400, answer.raw[:300]
    assert "message" in answer.json()  # type: ignore[operator]


def test_a_control_character_in_the_request_line_is_refused(servers: dict[str, ServeProcess]) -> None:
    server = servers["rest"]
    answer = exchange(server.port, f"GET /fi\rne HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    assert answer.status == 400


# --- the Host rule for other addresses (--host) ---------------------------------------------------


@pytest.mark.parametrize(
    ("host", "bound", "allowed"),
    [
        ("192.168.1.20:3000", "0.0.0.0", True),  # all interfaces: any IP address, never a name
        ("[fe80::1]:3000", "::", True),
        ("evil.example:3000", "0.0.0.0", False),
        ("192.168.1.20:3001", "0.0.0.0", False),
        ("devbox.lan:3000", "devbox.lan", True),  # the name given to --host
        ("other.lan:3000", "devbox.lan", False),
        ("192.168.1.20:3000", "127.0.0.1", False),
        ("localhost:3000", "192.168.1.20", True),
    ],
)
def test_the_host_rule_follows_the_address_given_to_host(host: str, bound: str, allowed: bool) -> None:
    from pypwext.tools._local.guard import allowed_host

    assert allowed_host(host, bound, 3000) is allowed
