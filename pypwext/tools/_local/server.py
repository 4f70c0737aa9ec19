"""``pypwext serve``: a local HTTP server in front of Lambda handlers, no Docker.

The server (standard library ``ThreadingHTTPServer``) never imports the target itself. Worker
processes do (:mod:`pypwext.tools._local.worker`), each like one Lambda execution environment: it
imports the code once and runs one invocation at a time; the server starts another worker when
all are busy (a service that calls another through the Invoke API gets one), up to
``max_workers``.

* **HTTP** requests become events of the chosen source (:func:`pypwext.tools._local.proxy.build_event`),
  the handler's answer is checked and written back (:func:`pypwext.tools._local.proxy.to_http`); an
  answer the source would refuse is a 502 and a log line that says why.
* **Invoke API**: ``POST /2015-03-31/functions/{name}/invocations``, answered as Lambda
  answers it by :mod:`pypwext.tools._local.invoke_api`. ``boto3.client("lambda",
  endpoint_url=...)`` and ``LambdaFunction`` dependencies (``AWS_ENDPOINT_URL_LAMBDA``) work
  against it.
* **Reload**: before each request (and twice a second in the background) the server compares the
  modification times of the files the workers loaded; after a change, idle workers are stopped
  and the next request runs in a fresh process that imports the new code. A change that does not
  import answers 502 with the error until the next change.
* ``GET /openapi.json`` and ``GET /docs`` serve the OpenAPI document and a page made from it.
* One access-log line per request on standard error: method, path, status, duration; the
  services' own log lines pass through from the workers. When a service is classified PII or
  AUTHORIZATION_INFO the line shows the route template (``/customers/{id}``) or a mask, never
  the concrete path or the query (:meth:`pypwext.tools._local.targets.Project.shown_path`).
* **The source**: ``source=None`` (no ``--source``) emulates the source the services' input
  types read (a Powertools ``APIGatewayProxyEventV2``: ``http-api``), else ``rest``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from pypwext._headers import has_control
from pypwext.tools._local import invoke_api
from pypwext.tools._local.guard import (
    READ_TIMEOUT_S,
    BadRequest,
    DeadlineSocketReader,
    RequestFile,
    allowed_host,
    cross_origin,
    header_problem,
    read_body,
)
from pypwext.tools._local.log import ServeLog
from pypwext.tools._local.pool import LoadError, WorkerCrashed, WorkerPool
from pypwext.tools._local.proxy import Rejected, build_event, to_http

__all__ = ["LoadError", "LocalServer", "WorkerPool"]


class LocalServer(ThreadingHTTPServer):
    """The server: ``LocalServer(("127.0.0.1", 3000), "app.py").serve_forever()``."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a burst of connections waits in the backlog, not in SYN retries

    def __init__(
        self,
        address: tuple[str, int],
        target: str,
        *,
        source: str | None = None,
        reload: bool = True,
        timeout_s: float = 30.0,
        max_workers: int = 8,
        log: ServeLog | None = None,
    ) -> None:
        self.log = log or ServeLog()
        self.pool = WorkerPool(target, reload=reload, max_workers=max_workers, log=self.log)
        self.source = source
        self.timeout_s = timeout_s
        self.bound_host = address[0]
        self._stop = threading.Event()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # --host ::1 or ::
        super().__init__(address, _Handler)
        if reload:
            threading.Thread(target=self._watch, name="pypwext-reload", daemon=True).start()

    def source_for(self, describe: dict[str, Any]) -> str:
        """The source to emulate: the one given, else the one the services' input types read
        (see :attr:`pypwext.tools._local.targets.Project.source`), else ``rest``."""
        return self.source or describe.get("source") or "rest"

    def shown_path(self, target: str) -> str:
        """The access line's path for a request the target did not route (a refusal, a load
        failure): the mask when a service is classified PII or AUTHORIZATION_INFO, by the last
        code that loaded; else ``target`` as received."""
        known = self.pool.last_describe
        mask = known.get("mask") if known is not None else None
        return str(mask) if mask and target else target

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        host = str(self.server_address[0])
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            try:
                if self.pool.check():
                    threading.Thread(target=self._warm, daemon=True).start()
            except Exception as exc:  # pragma: no cover - never let the watcher die
                self.log.error(f"pypwext serve: reload watcher: {exc}")

    def _warm(self) -> None:
        try:
            self.pool.describe()
            self.log.info("pypwext serve: reloaded")
        except LoadError as exc:
            self.log.error(f"pypwext serve: the new code does not load:\n{exc}")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed outside a request (a reset, a timeout): one line, no traceback."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            self.log.error(f"pypwext serve: connection error: {type(exc).__name__}: {exc}")

    def server_close(self) -> None:
        self._stop.set()
        super().server_close()
        self.pool.close()


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer
    _status = 0
    _function: str | None = None
    _log_path: str | None = None
    protocol_version = "HTTP/1.1"
    server_version = "pypwext-serve"
    rfile: RequestFile

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one access-log line per request, written by handle_one_request

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the plain socket file, replaced by one that keeps the read deadline
        self._reader = DeadlineSocketReader(self.connection)
        self.connection.settimeout(READ_TIMEOUT_S)
        self.rfile = RequestFile(self._reader)

    def handle_one_request(self) -> None:
        """Read one request within the read deadline, refuse what is malformed, answer it."""
        self._reader.restart()
        self._status = 0
        self._function = None
        self._log_path = None  # what the access line shows, once known to be safe
        self.command, self.path = "", ""
        self.requestline, self.request_version = "", self.protocol_version  # until parse_request
        started: float | None = None
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            started = time.perf_counter()
            if len(self.raw_requestline) > 65536:
                self.send_error(414, "the request line is too long")
                return
            if has_control(self.raw_requestline.rstrip(b"\r\n").decode("latin-1")):
                raise BadRequest(400, "the request line holds a control character")
            self.rfile.checking = True
            if not self.parse_request():
                return
            self.rfile.checking = False
            self._handle()
            self.wfile.flush()
        except BadRequest as exc:
            self.rfile.checking = False
            self.send_error(exc.status, str(exc))
        except TimeoutError:
            self.close_connection = True
            if started is not None and not self._status:  # not when an answer was being written
                self._try(lambda: self.send_error(408, "the request did not arrive in time"))
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True
        finally:
            if started is not None:
                elapsed = (time.perf_counter() - started) * 1000
                shown = self._log_path or self.server.shown_path(self.path)
                self.server.log.access(
                    self.command or "-", shown or "-", self._status, elapsed, self._function
                )

    def _try(self, send: Any) -> None:
        try:
            send()
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A short JSON answer, then the connection closes (the request was not understood)."""
        self.close_connection = True
        text = message or HTTPStatus(code).phrase
        body = json.dumps({"message": text}).encode("utf-8")
        self._send(code, [("Content-Type", "application/json"), ("Connection", "close")], body)

    def _handle(self) -> None:
        server = self.server
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not allowed_host(hosts[0], server.bound_host, server.port):
            self.close_connection = True
            self._json(421, {"message": f"this server answers requests for {server.url} only"})
            return
        path = urlsplit(self.path).path
        invoke = invoke_api.INVOKE_PATH.match(path)
        if invoke or path in ("/openapi.json", "/docs") or path.startswith("/docs/"):
            self._log_path = path  # the server's own paths carry no data (the query is left out)
        if invoke and self._cross_origin():
            self.close_connection = True
            self._json(
                403, {"message": "the Invoke API does not answer requests from web pages of another origin"}
            )
            return
        body = read_body(
            self.rfile,
            self.headers.get_all("Content-Length") or [],
            self.headers.get_all("Transfer-Encoding") or [],
        )
        if body is None:  # the client went away before sending all of it
            self.close_connection = True
            return
        try:
            if invoke and self.command == "POST":
                self._function = invoke_api.function_name(unquote(invoke["name"]))
                invoked = invoke_api.answer(
                    server.pool, server.log, server.timeout_s, unquote(invoke["name"]), self.headers, body
                )
                self._send(*invoked)
            elif invoke and self.command == "OPTIONS":  # a CORS preflight: never granted
                self._json(403, {"message": "the Invoke API does not answer requests from web pages"})
            elif path == "/openapi.json" and self.command in ("GET", "HEAD"):
                self._openapi()
            elif path.startswith("/docs") and self.command in ("GET", "HEAD") and self._docs(path):
                pass
            else:
                self._http(body)
        except (ConnectionError, TimeoutError):
            raise  # the client is gone or does not read: nothing more to send
        except Exception as exc:  # the server must answer, whatever happened
            server.log.error(f"pypwext serve: internal error: {type(exc).__name__}: {exc}")
            if not self._status:
                self._send(500, [("Content-Type", "text/plain")], b"pypwext serve: internal error\n")

    def _cross_origin(self) -> bool:
        return cross_origin(
            self.headers.get("Origin"), self.headers.get("Sec-Fetch-Site"), self.headers["Host"]
        )

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, reason: str | None = None
    ) -> int:
        problems = [p for name, value in headers if (p := header_problem(name, value))]
        if reason is not None and has_control(reason):
            problems.append("the reason phrase holds a control character")
        if problems:
            self.server.log.error(f"pypwext serve: 502: the answer cannot be sent: {problems[0]}")
            status, reason, body = 502, None, b'{"message": "Internal server error"}'
            headers = [("Content-Type", "application/json")]
        self._status = status
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        return status

    def _text(self, status: int, text: str) -> int:
        return self._send(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode("utf-8"))

    def _json(self, status: int, value: Any, headers: list[tuple[str, str]] | None = None) -> int:
        body = json.dumps(value).encode("utf-8")
        return self._send(status, [("Content-Type", "application/json"), *(headers or [])], body)

    # --- HTTP sources ---------------------------------------------------------------------------

    def _http(self, body: bytes) -> int:
        server = self.server
        server.pool.check()
        try:
            describe = server.pool.describe()
        except LoadError as exc:
            self.server.log.error(f"pypwext serve: the code does not load:\n{exc}")
            return self._text(502, f"pypwext serve: the code does not load:\n{exc}\n")
        if not describe["http"]:
            names = ", ".join(n for f in describe["functions"] for n in f["names"])
            return self._text(
                404,
                "pypwext serve: no route answers HTTP requests here: these functions have no route "
                f"and are reachable through the Invoke API only: {names}\n",
            )
        source = server.source_for(describe)
        event = build_event(source, self.command, self.path, list(self.headers.items()), body)
        request_id = str(uuid.uuid4())
        stem = os.path.splitext(os.path.basename(server.pool.target.partition(":")[0]))[0]
        route = [self.command, urlsplit(self.path).path]
        reply = self._run(event, request_id, function_name=stem.rsplit(".", 1)[-1], route=route)
        if reply is None:
            return 502
        self._function = reply.get("operation")
        if "path" in reply:  # a PII target's: the route template, a mask, or None (the concrete one)
            self._log_path = reply["path"] or self.path
        if "error" in reply:
            error = reply["error"]
            self.server.log.error(
                f"pypwext serve: 502: the handler raised {error['errorType']}: {error['errorMessage']}"
            )
            return self._json(502, {"message": "Internal server error"})
        try:
            answer = to_http(source, reply["result"])
        except Rejected as exc:
            self.server.log.error(f"pypwext serve: 502: {source} would refuse the handler's response: {exc}")
            return self._json(502, {"message": "Internal server error"})
        for warning in answer.warnings:
            server.log.warning(f"pypwext serve: warning: {warning}")
        return self._send(answer.status, answer.headers, answer.body, answer.reason)

    def _run(self, event: Any, request_id: str, **extra: Any) -> dict[str, Any] | None:
        """The worker's reply to an HTTP event, or ``None`` once a 502 was answered."""
        message = {
            "function": None,
            "event": event,
            "request_id": request_id,
            "timeout_s": self.server.timeout_s,
            **extra,
        }
        try:
            return self.server.pool.run(message, self.server.timeout_s)
        except LoadError as exc:
            self.server.log.error(f"pypwext serve: the code does not load:\n{exc}")
            self._text(502, f"pypwext serve: the code does not load:\n{exc}\n")
        except WorkerCrashed as exc:
            self.server.log.error(f"pypwext serve: 502: {exc}")
            self._json(502, {"message": "Internal server error"})
        return None

    # --- documentation ----------------------------------------------------------------------------

    def _origin(self) -> str:
        return f"http://{self.headers['Host']}"  # the Host is one this server answers (checked)

    def _document(self) -> dict[str, Any] | int:
        try:
            describe = self.server.pool.describe()
        except LoadError as exc:
            return self._text(502, f"pypwext serve: the code does not load:\n{exc}\n")
        if describe["openapi"] is None:
            reason = describe["openapi_error"] or "no service here has a route"
            return self._text(404, f"pypwext serve: no OpenAPI document: {reason}\n")
        # the document describes this server: "Try it out" on /docs calls the origin it came from
        doc: dict[str, Any] = {**describe["openapi"], "servers": [{"url": self._origin()}]}
        return doc

    def _openapi(self) -> int:
        doc = self._document()
        if isinstance(doc, int):
            return doc
        return self._json(200, doc)

    def _docs(self, path: str) -> bool:
        """``/docs``: Swagger UI when installed, else the plain page; ``/docs/plain``: the plain
        page; ``/docs/NAME``: Swagger UI's assets. False for any other path under /docs."""
        from pypwext.tools._local import swagger

        name = path.removeprefix("/docs").strip("/")
        if name not in ("", "plain"):
            found = swagger.asset(name)
            if found is None:
                return False
            content, media = found
            self._send(200, [("Content-Type", media), ("Cache-Control", "no-cache")], content)
            return True
        self.server.pool.check()
        doc = self._document()
        if isinstance(doc, int):
            return True
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", swagger.CSP)]
        if name == "" and swagger.available():
            page = swagger.page(str(doc.get("info", {}).get("title", "API")))
        else:
            from pypwext.tools._local.docs_page import render

            notice = None if name == "plain" or swagger.available() else swagger.INSTALL_HINT
            page = render(doc, self._origin(), self.server.pool.describe()["functions"], notice)
        self._send(200, headers, page.encode("utf-8"))
        return True
