"""A small Lambda Runtime API server on 127.0.0.1, for running a function under the real
Runtime Interface Client (awslambdaric) the way Lambda runs it.

The client polls ``GET /2018-06-01/runtime/invocation/next``; :meth:`RuntimeApi.invoke` hands it
one event (with the ``Lambda-Runtime-*`` headers Lambda sends) and waits for the client's
``POST .../invocation/{id}/response`` or ``.../error``. ``POST /runtime/init/error`` (the handler
could not be loaded) is kept in :attr:`RuntimeApi.init_error`.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"


class Outcome:
    """What the client answered for one invocation: ``kind`` is ``"response"`` or ``"error"``."""

    def __init__(self, kind: str, payload: Any, headers: dict[str, str]) -> None:
        self.kind = kind
        self.payload = payload
        self.headers = headers


class RuntimeApi:
    """The server; use as a context manager. ``address`` is what AWS_LAMBDA_RUNTIME_API takes."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.outcomes: dict[str, queue.Queue[Outcome]] = {}
        self.init_error: Any = None
        self.init_failed = threading.Event()
        self.polled = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client was stopped
                    pass

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._send(404)
                    return
                api.polled.set()
                while True:  # Lambda's long poll: answer when there is an event
                    try:
                        request_id, body = api.events.get(timeout=0.5)
                        break
                    except queue.Empty:
                        if api.closing:
                            self._send(500)
                            return
                deadline = int((time.time() + 30) * 1000)
                headers = {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": ARN,
                    "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
                }
                self._send(200, body, headers)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                payload = json.loads(raw) if raw else None
                headers = {k: v for k, v in self.headers.items()}
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = payload
                    api.init_failed.set()
                    self._send(202, b'{"status":"OK"}')
                    return
                parts = self.path[len(PREFIX) :].strip("/").split("/")
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    waiter = api.outcomes.get(parts[1])
                    if waiter is None:
                        self._send(400)
                        return
                    waiter.put(Outcome(parts[2], payload, headers))
                    self._send(202, b'{"status":"OK"}')
                    return
                self._send(404)

        self.closing = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RuntimeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing = True
        self.server.shutdown()
        self.server.server_close()

    def invoke(self, event: Any, timeout: float = 30) -> Outcome:
        """Hand ``event`` to the client and wait for its answer."""
        request_id = str(uuid.uuid4())
        waiter: queue.Queue[Outcome] = queue.Queue()
        self.outcomes[request_id] = waiter
        self.events.put((request_id, json.dumps(event).encode()))
        try:
            return waiter.get(timeout=timeout)
        finally:
            del self.outcomes[request_id]
