"""A real HTTP server on 127.0.0.1 with scripted faults, for the Http dependency's tests.

Each path gets a script: a list of actions played one per request, the last one repeating.
Unscripted paths answer 200 with an echo of the request. The server records every request it
received (so tests count the attempts it really saw) and, when asked, checks SigV4 signatures
by recomputing them with botocore from what it received, answering 403 to a wrong one::

    server = FaultServer().start()
    server.script("/flaky", status(503), status(200, {"ok": True}))  # 503 first, then 200
    ...
    assert server.count("/flaky") == 2
    server.stop()
"""

from __future__ import annotations

import hmac
import json
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from closing_server import ClosingHTTPServer

__all__ = [
    "Action",
    "FaultServer",
    "Received",
    "delay",
    "redirect",
    "reset",
    "silent",
    "slow_body",
    "slow_headers",
    "status",
]


@dataclass(frozen=True)
class Action:
    """What the server does with one request."""

    kind: str  # "respond", "reset", "slow", "slow_headers", "silent"
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    interval_s: float = 0.0


def status(
    code: int, body: Any = None, headers: Mapping[str, str] | None = None, delay_s: float = 0.0
) -> Action:
    """Answer ``code`` with ``body`` (JSON unless bytes/str) after ``delay_s``."""
    if body is None:
        data, content_type = b"", None
    elif isinstance(body, bytes):
        data, content_type = body, "application/octet-stream"
    elif isinstance(body, str):
        data, content_type = body.encode(), "text/plain; charset=utf-8"
    else:
        data, content_type = json.dumps(body).encode(), "application/json"
    all_headers = dict(headers or {})
    if content_type and "Content-Type" not in all_headers:
        all_headers["Content-Type"] = content_type
    return Action("respond", code, data, all_headers, delay_s)


def delay(seconds: float, code: int = 200, body: Any = None) -> Action:
    """Answer only after ``seconds``."""
    return status(code, body, delay_s=seconds)


def reset() -> Action:
    """Close the connection without answering (a TCP reset)."""
    return Action("reset")


def slow_body(size: int = 20, interval_s: float = 0.1) -> Action:
    """Send 200 and a Content-Length at once, then the body one byte every ``interval_s``."""
    return Action("slow", 200, b"x" * size, {"Content-Type": "text/plain"}, 0.0, interval_s)


def slow_headers(interval_s: float = 0.25) -> Action:
    """Send the status line, the headers and a 2-byte body one byte every ``interval_s`` (about
    15 s at 0.25 s: each read gets a byte, so no per-read timeout ever trips)."""
    return Action("slow_headers", 200, b"", {}, 0.0, interval_s)


def silent() -> Action:
    """Accept the request and never answer (until the server stops)."""
    return Action("silent")


def redirect(location: str, code: int = 302, delay_s: float = 0.0) -> Action:
    """Answer ``code`` with ``Location: location`` after ``delay_s``."""
    return Action("respond", code, b"", {"Location": location}, delay_s)


@dataclass(frozen=True)
class Received:
    """One request as the server received it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    raw_path: str
    headers: dict[str, str]
    body: bytes
    at: float
    signature_ok: bool | None = None


@dataclass
class _SigV4:
    access_key: str
    secret_key: str
    token: str | None
    region: str
    service: str


class FaultServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with per-path scripts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[Action]] = {}
        self._received: list[Received] = []
        self._sigv4: _SigV4 | None = None
        self._httpd: ClosingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.port = 0

    # --- control --------------------------------------------------------------------------

    def start(self) -> FaultServer:
        server = self

        class Handler(_Handler):
            owner = server

        httpd = ClosingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd = httpd
        self.port = int(httpd.server_address[1])
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def clear(self) -> None:
        """Forget scripts, received requests and the SigV4 requirement."""
        with self._lock:
            self._scripts.clear()
            self._received.clear()
            self._sigv4 = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def script(self, path: str, *actions: Action) -> None:
        """Play ``actions`` on ``path``, one per request; the last one repeats."""
        with self._lock:
            self._scripts[path] = list(actions)

    def require_sigv4(
        self, access_key: str, secret_key: str, region: str, service: str, token: str | None = None
    ) -> None:
        """Answer 403 to every request whose SigV4 signature is missing or wrong."""
        with self._lock:
            self._sigv4 = _SigV4(access_key, secret_key, token, region, service)

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    def count(self, path: str) -> int:
        """How many requests the server saw on ``path``."""
        return len(self.received(path))

    # --- used by the handler ----------------------------------------------------------------

    def _next(self, path: str) -> Action | None:
        with self._lock:
            script = self._scripts.get(path)
            if not script:
                return None
            return script.pop(0) if len(script) > 1 else script[0]

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    def _check(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[bool, str] | None:
        with self._lock:
            sig = self._sigv4
        if sig is None:
            return None
        return verify_sigv4(sig, method, raw_path, headers, body)


def verify_sigv4(
    sig: _SigV4, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
) -> tuple[bool, str]:
    """Recompute the signature of a received request with botocore; ``(ok, why)``."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    lower = {k.lower(): v for k, v in headers.items()}
    authorization = lower.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return False, "no SigV4 Authorization header"
    fields = dict(
        part.strip().split("=", 1)
        for part in authorization[len("AWS4-HMAC-SHA256 ") :].split(",")
        if "=" in part
    )
    signed = fields.get("SignedHeaders", "").split(";")
    amz_date = lower.get("x-amz-date")
    if not amz_date or "host" not in signed:
        return False, "x-amz-date or host not signed"
    request = AWSRequest(
        method=method,
        url=f"http://{lower['host']}{raw_path}",
        data=body,
        headers={name: lower[name] for name in signed if name in lower},
    )
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(sig.access_key, sig.secret_key, sig.token), sig.service, sig.region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    scope = f"{sig.access_key}/{amz_date[:8]}/{sig.region}/{sig.service}/aws4_request"
    if fields.get("Credential") != scope:
        return False, f"wrong credential scope {fields.get('Credential')!r}"
    if not hmac.compare_digest(expected, fields.get("Signature", "")):
        return False, "signature mismatch"
    return True, "ok"


class _Handler(BaseHTTPRequestHandler):
    owner: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items()}
        check = self.owner._check(self.command, self.path, headers, body)
        self.owner._record(
            Received(
                self.command,
                parts.path,
                parse_qsl(parts.query, keep_blank_values=True),
                self.path,
                headers,
                body,
                time.monotonic(),
                None if check is None else check[0],
            )
        )
        if check is not None and not check[0]:
            self._send(status(403, {"message": check[1]}))
            return
        action = self.owner._next(parts.path)
        if action is None:
            echo = {
                "method": self.command,
                "path": parts.path,
                "query": parse_qsl(parts.query, keep_blank_values=True),
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
            }
            action = status(200, echo)
        try:
            if action.kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if action.delay_s:
                time.sleep(action.delay_s)
            if action.kind == "silent":
                self.owner.stopping.wait(60)
                self.close_connection = True
                return
            if action.kind == "slow_headers":
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                for i in range(len(head)):
                    if self.owner.stopping.wait(action.interval_s):
                        break
                    self.wfile.write(head[i : i + 1])
                    self.wfile.flush()
                self.close_connection = True
                return
            if action.kind == "slow":
                self.send_response(action.status)
                for name, value in action.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(action.body)))
                self.end_headers()
                for i in range(len(action.body)):
                    self.wfile.write(action.body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(action.interval_s)
                return
            self._send(action)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def _send(self, action: Action) -> None:
        self.send_response(action.status)
        for name, value in action.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(action.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(action.body)
