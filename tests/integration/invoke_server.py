"""A local stand-in for the Lambda Invoke API that runs real handlers in-process.

``InvokeServer`` listens on 127.0.0.1 and answers ``POST /2015-03-31/functions/{name}/invocations``
the way Lambda does, so that boto3 (pointed at it through ``endpoint_url`` or
``AWS_ENDPOINT_URL_LAMBDA``) can invoke a pypwext service's ``handler`` -- or any
``handler(event, context)`` -- and the round trip of payloads, typed results and errors is real:

* ``X-Amz-Invocation-Type``: ``RequestResponse`` (default: run, answer 200 with the result),
  ``Event`` (answer 202 at once, run in a background thread), ``DryRun`` (answer 204);
* ``X-Amz-Client-Context``: base64 JSON, given to the handler as ``context.client_context``;
* ``?Qualifier=``, and names given as ``name``, ``name:qualifier`` or a function ARN;
* a handler that raises answers 200 with ``X-Amz-Function-Error: Unhandled`` and
  ``{"errorType", "errorMessage", "stackTrace"}``; one that runs past its timeout answers like
  Lambda's "Task timed out" error; an unknown function is a 404 ``ResourceNotFoundException``;
  payloads over 6 MB (synchronous) or 256 KB (asynchronous) are a 413 ``RequestTooLargeException``.

Every request that reaches a function is recorded in ``calls`` (before the handler runs), so
tests count what the callee actually saw. It uses only the standard library and pypwext.testing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
from closing_server import ClosingHTTPServer

from pypwext import codec
from pypwext.testing import ClientContext, lambda_context

__all__ = ["Call", "Function", "InvokeServer"]

Handler = Callable[[Any, Any], Any]

SYNC_LIMIT = 6 * 1024 * 1024
ASYNC_LIMIT = 256 * 1024
_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$")
_REGION = "us-east-1"
_ACCOUNT = "123456789012"


@attrs.define
class Function:
    """A function the server runs: its handler and timeout; ``function_error`` is the value of
    ``X-Amz-Function-Error`` when the handler raises."""

    handler: Handler
    timeout_s: float = 30.0
    function_error: str = "Unhandled"


@attrs.define(eq=False)
class Call:
    """One invocation the server received."""

    function: str
    qualifier: str | None
    invocation_type: str
    payload: Any
    client_context: dict[str, Any] | None
    request_id: str
    done: threading.Event = attrs.field(factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class InvokeServer:
    """The Invoke API on 127.0.0.1, running ``functions`` (name -> handler or :class:`Function`).

    >>> with InvokeServer({"echo": lambda event, context: event}) as server:
    ...     server.endpoint.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        functions: Mapping[str, Handler | Function] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.functions: dict[str, Function] = {}
        for name, handler in (functions or {}).items():
            self.add(name, handler)
        self.calls: list[Call] = []
        self._calls_changed = threading.Condition()
        self._httpd = ClosingHTTPServer((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []  # the functions' runs, joined by stop()

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>``: what ``endpoint_url`` / ``AWS_ENDPOINT_URL_LAMBDA`` take."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, name: str, handler: Handler | Function, *, timeout_s: float | None = None) -> None:
        """Deploy ``handler`` as function ``name``."""
        function = handler if isinstance(handler, Function) else Function(handler)
        if timeout_s is not None:
            function.timeout_s = timeout_s
        self.functions[name] = function

    def start(self) -> InvokeServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="invoke-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and wait for the functions still running (a slow one
        outlives its caller's timeout: what it holds must be freed before the next test, which
        may count the garbage an invocation leaves)."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        deadline = time.monotonic() + 30
        for worker in list(self._workers):
            worker.join(timeout=max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> InvokeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests read ----------------------------------------------------------------------

    def calls_to(self, function: str) -> list[Call]:
        """The calls that reached ``function``."""
        with self._calls_changed:
            return [c for c in self.calls if c.function == function]

    def wait_for_calls(self, count: int, timeout_s: float = 5.0) -> list[Call]:
        """Wait until ``count`` calls arrived and finished; return every call."""
        deadline = time.monotonic() + timeout_s
        with self._calls_changed:
            while len(self.calls) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._calls_changed.wait(left)
            calls = list(self.calls)
        for call in calls:
            call.done.wait(max(0.0, deadline - time.monotonic()))
        return calls

    def _record(self, call: Call) -> None:
        with self._calls_changed:
            self.calls.append(call)
            self._calls_changed.notify_all()

    # --- running a function -----------------------------------------------------------------

    def run(self, function: Function, call: Call) -> tuple[bool, Any]:
        """Run one invocation as Lambda would: ``(ok, result or error document)``."""
        context = lambda_context(
            call.function,
            timeout_s=function.timeout_s,
            aws_request_id=call.request_id,
            region=_REGION,
            account_id=_ACCOUNT,
            client_context=_client_context(call.client_context),
        )
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["result"] = function.handler(call.payload, context)
            except BaseException as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=target, name=f"lambda-{call.function}", daemon=True)
        self._workers.append(worker)
        started = time.monotonic()
        worker.start()
        worker.join(function.timeout_s)
        try:
            if worker.is_alive():
                return False, {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {call.request_id} "
                    f"Task timed out after {time.monotonic() - started:.2f} seconds",
                }
            if "error" in outcome:
                exc = outcome["error"]
                call.error = exc
                return False, {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "requestId": call.request_id,
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
            call.result = outcome.get("result")
            return True, call.result
        finally:
            call.done.set()


def _client_context(data: dict[str, Any] | None) -> ClientContext | None:
    if data is None:
        return None
    return ClientContext(
        client=data.get("client"), custom=data.get("custom") or {}, env=data.get("env") or {}
    )


def _make_handler(server: InvokeServer) -> type[BaseHTTPRequestHandler]:
    class InvokeHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "pypwext-invoke"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _PATH.match(url.path)
            if match is None:
                self._error(404, "UnknownOperationException", f"unknown path {url.path}")
                return
            name, qualifier = _split_name(unquote(match["name"]))
            query_qualifier = parse_qs(url.query).get("Qualifier")
            if query_qualifier:
                qualifier = query_qualifier[-1]
            function = server.functions.get(name)
            arn = f"arn:aws:lambda:{_REGION}:{_ACCOUNT}:function:{name}"
            if function is None:
                self._error(404, "ResourceNotFoundException", f"Function not found: {arn}")
                return
            invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
            if invocation_type not in ("RequestResponse", "Event", "DryRun"):
                self._error(400, "InvalidParameterValueException", f"bad invocation type {invocation_type}")
                return
            limit = ASYNC_LIMIT if invocation_type == "Event" else SYNC_LIMIT
            if len(body) > limit:
                self._error(
                    413,
                    "RequestTooLargeException",
                    f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                )
                return
            if invocation_type == "DryRun":
                self._answer(204, b"", {})
                return
            try:
                payload = json.loads(body) if body.strip() else {}
            except ValueError:
                self._error(400, "InvalidRequestContentException", "Could not parse request body into json")
                return
            client_context = None
            encoded = self.headers.get("X-Amz-Client-Context")
            if encoded:
                try:
                    client_context = json.loads(base64.b64decode(encoded, validate=True))
                except (binascii.Error, ValueError):
                    self._error(400, "InvalidRequestContentException", "Client context must be base64 JSON")
                    return
            call = Call(name, qualifier, invocation_type, payload, client_context, str(uuid.uuid4()))
            server._record(call)
            headers = {"x-amzn-RequestId": call.request_id}
            if invocation_type == "Event":
                self._answer(202, b"", headers)
                threading.Thread(target=server.run, args=(function, call), daemon=True).start()
                return
            ok, result = server.run(function, call)
            headers["X-Amz-Executed-Version"] = qualifier or "$LATEST"
            if not ok:
                headers["X-Amz-Function-Error"] = function.function_error
            self._answer(200, codec.dumps(result).encode("utf-8"), headers)

        def _error(self, status: int, error_type: str, message: str) -> None:
            body = json.dumps({"Type": "User", "message": message}).encode("utf-8")
            self._answer(status, body, {"x-amzn-ErrorType": error_type})

        def _answer(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (its read timeout): Lambda ran the function anyway
                self.close_connection = True

    return InvokeHandler


def _split_name(name: str) -> tuple[str, str | None]:
    match = _ARN.match(name)
    if match:
        return match["name"], match["qualifier"]
    if ":" in name:
        base, _, qualifier = name.partition(":")
        return base, qualifier
    return name, None
