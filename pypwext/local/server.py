"""``pypwext serve``: a local HTTP server in front of Lambda handlers, no Docker.

The server (standard library ``ThreadingHTTPServer``) never imports the target itself. Worker
processes do (:mod:`pypwext.local.worker`), each like one Lambda execution environment: it
imports the code once and runs one invocation at a time; the server starts another worker when
all are busy (a service that calls another through the Invoke API gets one), up to
``max_workers``.

* **HTTP** requests become events of the chosen source (:func:`pypwext.local.proxy.build_event`),
  the handler's answer is checked and written back (:func:`pypwext.local.proxy.to_http`); an
  answer the source would refuse is a 502 and a log line that says why.
* **Invoke API**: ``POST /2015-03-31/functions/{name}/invocations`` with the
  ``X-Amz-Invocation-Type`` ``RequestResponse`` (default), ``Event`` (202, runs in the
  background) or ``DryRun`` (204); an unhandled exception answers 200 with
  ``X-Amz-Function-Error: Unhandled`` and Lambda's error document; an unknown name 404
  ``ResourceNotFoundException``. ``boto3.client("lambda", endpoint_url=...)`` and
  ``LambdaFunction`` dependencies (``AWS_ENDPOINT_URL_LAMBDA``) work against it.
* **Reload**: before each request (and twice a second in the background) the server compares the
  modification times of the files the workers loaded; after a change, idle workers are stopped
  and the next request runs in a fresh process that imports the new code. A change that does not
  import answers 502 with the error until the next change.
* ``GET /openapi.json`` and ``GET /docs`` serve the OpenAPI document and a page made from it.
* One access-log line per request on standard error: method, path, status, duration; the
  services' own log lines pass through from the workers.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from pypwext.local.proxy import Rejected, build_event, to_http

__all__ = ["LoadError", "LocalServer", "WorkerPool"]

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")


class LoadError(Exception):
    """The target does not import (the message holds the error and its traceback)."""


class WorkerCrashed(Exception):
    """A worker died or timed out during an invocation."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _Worker:
    def __init__(self, target: str, generation: int, cwd: str | None) -> None:
        self.generation = generation
        # -B: a worker writes no bytecode. Python trusts a .pyc whose source has the same size
        # and the same mtime in whole seconds, so a same-size edit within a second of the last
        # load would otherwise run the old code after a reload.
        self.process = subprocess.Popen(
            [sys.executable, "-B", "-m", "pypwext.local.worker", target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # the services' logs go straight to the server's stderr
            cwd=cwd,
        )
        self._buffer = b""

    def read(self, timeout_s: float | None) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                return None  # timed out
            chunk = os.read(fd, 65536)
            if not chunk:
                raise WorkerCrashed(
                    f"the function's process exited (code {self.process.wait()})", "Runtime.ExitError"
                )
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def call(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        stdin: IO[bytes] | None = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(message).encode("utf-8") + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerCrashed("the function's process is gone", "Runtime.ExitError") from None
        reply = self.read(timeout_s + 1.0)
        if reply is None:
            self.stop()
            raise WorkerCrashed(f"Task timed out after {timeout_s:.2f} seconds", "Sandbox.Timedout")
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


class WorkerPool:
    """Worker processes for one target, restarted when its files change."""

    def __init__(self, target: str, *, reload: bool = True, max_workers: int = 8, cwd: str | None = None):
        self.target = target
        self.reload = reload
        self.max_workers = max_workers
        self.cwd = cwd
        self.generation = 0
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._files: dict[str, list[int]] = {}
        self._describe: dict[str, Any] | None = None
        self._failure: str | None = None

    # --- loading and reloading ----------------------------------------------------------------

    def _start(self) -> _Worker:
        worker = _Worker(self.target, self.generation, self.cwd)
        hello = worker.read(120.0)
        if hello is None or not hello.get("ok"):
            worker.stop()
            text = (
                "the target did not load in time"
                if hello is None
                else str(hello.get("traceback") or hello.get("error"))
            )
            with self._lock:
                if worker.generation == self.generation:
                    self._failure = text
                    if hello is not None:
                        self._files = hello.get("files") or self._files
            raise LoadError(text)
        with self._lock:
            if worker.generation == self.generation:
                self._files = hello.get("files") or {}
                self._describe = hello["describe"]
                self._failure = None
        return worker

    def changed(self) -> list[str]:
        """The watched files that changed (or vanished) since they were loaded."""
        out = []
        for path, (mtime, size) in list(self._files.items()):
            try:
                st = os.stat(path)
            except OSError:
                out.append(path)
                continue
            if st.st_mtime_ns != mtime or st.st_size != size:
                out.append(path)
        return out

    def check(self) -> bool:
        """Reload when a watched file changed; True when it did."""
        if not self.reload:
            return False
        with self._lock:
            changed = self.changed()
            if not changed:
                return False
            self.generation += 1
            idle, self._idle = self._idle, []
            self._files = {}
            self._describe = None
            self._failure = None
        _log(f"pypwext serve: {', '.join(os.path.relpath(p) for p in changed)} changed; reloading")
        for worker in idle:
            worker.stop()
        return True

    def describe(self) -> dict[str, Any]:
        """What the target holds (functions, routes, OpenAPI document); loads it if needed."""
        self.check()
        if self._describe is None:
            self.release(self.acquire())
        assert self._describe is not None
        return self._describe

    # --- running invocations ------------------------------------------------------------------

    def acquire(self) -> _Worker:
        with self._lock:
            if self._failure is not None:
                raise LoadError(self._failure)
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive() and worker.generation == self.generation:
                        self._busy += 1
                        return worker
                    worker.stop()
                if self._busy < self.max_workers:
                    self._busy += 1
                    break
                self._lock.wait(1.0)
        try:
            return self._start()
        except BaseException:
            with self._lock:
                self._busy -= 1
                self._lock.notify()
            raise

    def release(self, worker: _Worker) -> None:
        with self._lock:
            self._busy -= 1
            if worker.alive() and worker.generation == self.generation:
                self._idle.append(worker)
                worker = None  # type: ignore[assignment]
            self._lock.notify()
        if worker is not None:
            worker.stop()

    def run(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one invocation to a worker and return its reply."""
        worker = self.acquire()
        try:
            return worker.call(message, timeout_s)
        finally:
            self.release(worker)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


class LocalServer(ThreadingHTTPServer):
    """The server: ``LocalServer(("127.0.0.1", 3000), "app.py").serve_forever()``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        target: str,
        *,
        source: str = "rest",
        reload: bool = True,
        timeout_s: float = 30.0,
        max_workers: int = 8,
    ) -> None:
        self.pool = WorkerPool(target, reload=reload, max_workers=max_workers)
        self.source = source
        self.timeout_s = timeout_s
        self._stop = threading.Event()
        super().__init__(address, _Handler)
        if reload:
            threading.Thread(target=self._watch, name="pypwext-reload", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            try:
                if self.pool.check():
                    threading.Thread(target=self._warm, daemon=True).start()
            except Exception as exc:  # pragma: no cover - never let the watcher die
                _log(f"pypwext serve: reload watcher: {exc}")

    def _warm(self) -> None:
        try:
            self.pool.describe()
            _log("pypwext serve: reloaded")
        except LoadError as exc:
            _log(f"pypwext serve: the new code does not load:\n{exc}")

    def server_close(self) -> None:
        self._stop.set()
        super().server_close()
        self.pool.close()


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer
    _status = 0
    protocol_version = "HTTP/1.1"
    server_version = "pypwext-serve"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one access-log line per request, written by _handle

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        started = time.perf_counter()
        self._status = 500
        try:
            body = self._read_body()
            path = urlsplit(self.path).path
            invoke = _INVOKE_PATH.match(path)
            if invoke and self.command == "POST":
                self._invoke(unquote(invoke["name"]), body)
            elif path == "/openapi.json" and self.command in ("GET", "HEAD"):
                self._openapi()
            elif path in ("/docs", "/docs/") and self.command in ("GET", "HEAD"):
                self._docs()
            else:
                self._http(body)
        except Exception as exc:  # the server must answer, whatever happened
            _log(f"pypwext serve: internal error: {type(exc).__name__}: {exc}")
            self._send(500, [("Content-Type", "text/plain")], b"pypwext serve: internal error\n")
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            _log(f"{self.command} {self.path} {self._status} {elapsed:.1f}ms")

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, reason: str | None = None
    ) -> int:
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
            _log(f"pypwext serve: the code does not load:\n{exc}")
            return self._text(502, f"pypwext serve: the code does not load:\n{exc}\n")
        if not describe["http"]:
            names = ", ".join(n for f in describe["functions"] for n in f["names"])
            return self._text(
                404,
                "pypwext serve: no route answers HTTP requests here: these functions have no route "
                f"and are reachable through the Invoke API only: {names}\n",
            )
        event = build_event(server.source, self.command, self.path, list(self.headers.items()), body)
        request_id = str(uuid.uuid4())
        stem = os.path.splitext(os.path.basename(server.pool.target.partition(":")[0]))[0]
        reply = self._run(None, event, request_id, function_name=stem.rsplit(".", 1)[-1])
        if reply is None:
            return 502
        if "error" in reply:
            error = reply["error"]
            _log(f"pypwext serve: 502: the handler raised {error['errorType']}: {error['errorMessage']}")
            return self._json(502, {"message": "Internal server error"})
        try:
            answer = to_http(server.source, reply["result"])
        except Rejected as exc:
            _log(f"pypwext serve: 502: {server.source} would refuse the handler's response: {exc}")
            return self._json(502, {"message": "Internal server error"})
        for warning in answer.warnings:
            _log(f"pypwext serve: warning: {warning}")
        return self._send(answer.status, answer.headers, answer.body, answer.reason)

    def _run(self, function: str | None, event: Any, request_id: str, **extra: Any) -> dict[str, Any] | None:
        message = {
            "function": function,
            "event": event,
            "request_id": request_id,
            "timeout_s": self.server.timeout_s,
            **extra,
        }
        try:
            return self.server.pool.run(message, self.server.timeout_s)
        except LoadError as exc:
            _log(f"pypwext serve: the code does not load:\n{exc}")
            self._text(502, f"pypwext serve: the code does not load:\n{exc}\n")
        except WorkerCrashed as exc:
            _log(f"pypwext serve: 502: {exc}")
            if function is None:
                self._json(502, {"message": "Internal server error"})
            else:
                doc = {"errorType": exc.error_type, "errorMessage": str(exc), "requestId": request_id}
                self._json(
                    200, doc, [("X-Amz-Function-Error", "Unhandled"), ("x-amzn-RequestId", request_id)]
                )
        return None

    # --- the Invoke API ---------------------------------------------------------------------------

    def _invoke(self, raw_name: str, body: bytes) -> int:
        server = self.server
        server.pool.check()
        name = _function_name(raw_name)
        request_id = str(uuid.uuid4())
        try:
            describe = server.pool.describe()
        except LoadError as exc:
            return self._text(502, f"pypwext serve: the code does not load:\n{exc}\n")
        names = [n for f in describe["functions"] for n in f["names"]]
        if name not in names:
            arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
            return self._json(
                404,
                {
                    "Type": "User",
                    "Message": f"Function not found: {arn} (this server hosts: {', '.join(names)})",
                },
                [("x-amzn-ErrorType", "ResourceNotFoundException"), ("x-amzn-RequestId", request_id)],
            )
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        limit = 256 * 1024 if kind == "Event" else 6 * 1024 * 1024
        if len(body) > limit:
            return self._json(
                413,
                {
                    "Type": "User",
                    "message": f"Request must be smaller than {limit} bytes for the {kind} invocation type",
                },
                [("x-amzn-ErrorType", "RequestTooLargeException"), ("x-amzn-RequestId", request_id)],
            )
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError:
            return self._json(
                400,
                {"Type": "User", "message": "Could not parse request body into json"},
                [("x-amzn-ErrorType", "InvalidRequestContentException"), ("x-amzn-RequestId", request_id)],
            )
        extra: dict[str, Any] = {"function_name": name}
        client_context = self.headers.get("X-Amz-Client-Context")
        if client_context:
            try:
                extra["client_context"] = json.loads(base64.b64decode(client_context))
            except ValueError:
                pass
        ids = [("x-amzn-RequestId", request_id)]
        if kind == "DryRun":
            return self._send(204, ids, b"")
        if kind == "Event":
            message = {
                "function": name,
                "event": event,
                "request_id": request_id,
                "timeout_s": server.timeout_s,
                **extra,
            }

            def background() -> None:
                try:
                    reply = server.pool.run(message, server.timeout_s)
                    if "error" in reply:
                        _log(
                            f"pypwext serve: async invoke of {name} failed: {reply['error']['errorMessage']}"
                        )
                except Exception as exc:
                    _log(f"pypwext serve: async invoke of {name} failed: {exc}")

            threading.Thread(target=background, daemon=True).start()
            return self._send(202, ids, b"")
        if kind != "RequestResponse":
            return self._json(
                400,
                {"Type": "User", "message": f"unknown X-Amz-Invocation-Type {kind!r}"},
                [("x-amzn-ErrorType", "InvalidParameterValueException"), *ids],
            )
        reply = self._run(name, event, request_id, **extra)
        if reply is None:
            return 200
        headers = [*ids, ("X-Amz-Executed-Version", "$LATEST")]
        if "error" in reply:
            error = {**reply["error"], "requestId": request_id}
            return self._json(200, error, [*headers, ("X-Amz-Function-Error", "Unhandled")])
        return self._json(200, reply["result"], headers)

    # --- documentation ----------------------------------------------------------------------------

    def _document(self) -> dict[str, Any] | int:
        try:
            describe = self.server.pool.describe()
        except LoadError as exc:
            return self._text(502, f"pypwext serve: the code does not load:\n{exc}\n")
        if describe["openapi"] is None:
            reason = describe["openapi_error"] or "no service here has a route"
            return self._text(404, f"pypwext serve: no OpenAPI document: {reason}\n")
        doc: dict[str, Any] = describe["openapi"]
        return doc

    def _openapi(self) -> int:
        doc = self._document()
        if isinstance(doc, int):
            return doc
        return self._json(200, doc)

    def _docs(self) -> int:
        from pypwext.local.docs_page import render

        self.server.pool.check()
        doc = self._document()
        if isinstance(doc, int):
            return doc
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        html = render(doc, f"http://{host}", self.server.pool.describe()["functions"])
        return self._send(200, [("Content-Type", "text/html; charset=utf-8")], html.encode("utf-8"))


def _function_name(raw: str) -> str:
    """``name``, ``name:qualifier`` or an ARN -> the function name."""
    if raw.startswith("arn:"):
        parts = raw.split(":")
        return parts[6] if len(parts) > 6 else raw
    return raw.split(":", 1)[0]


def serve(
    target: str,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    source: str = "rest",
    reload: bool = True,
    timeout_s: float = 30.0,
) -> None:
    """Run the server in the foreground until Ctrl-C."""
    server = LocalServer((host, port), target, source=source, reload=reload, timeout_s=timeout_s)
    try:
        describe = server.pool.describe()
    except LoadError as exc:
        _log(f"pypwext serve: the code does not load yet (fix it and save; the server reloads):\n{exc}")
        describe = {"functions": [], "routes": []}
    base = server.url
    _log(f"pypwext serve: {target} as {source} events on {base} (Ctrl-C to stop)")
    for route in describe.get("routes", []):
        _log(f"  {route}")
    if describe.get("routes"):
        _log(f"  docs: {base}/docs   OpenAPI: {base}/openapi.json")
    names = [n for f in describe.get("functions", []) for n in f["names"]]
    if names:
        _log(f"  Invoke API: {base}/2015-03-31/functions/{{name}}/invocations for {', '.join(names)}")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        _log("pypwext serve: stopped")
    finally:
        server.server_close()
