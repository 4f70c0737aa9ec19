"""One worker process of ``pypwext serve``: loads the target and runs invocations, one at a time.

The server starts ``python -m pypwext.tools._local.worker TARGET`` and talks to it in JSON lines: the
worker's first line describes what it loaded (or why it could not), then each request line
(``{"function": name or null, "event": ..., "request_id": ..., "timeout_s": ...}``, and for the
Invoke API the caller's ``trace_id``, the invocation's ``_X_AMZN_TRACE_ID``) gets one
reply line (``{"result": ...}`` or ``{"error": {"errorType", "errorMessage", "stackTrace"}}``,
Lambda's own error shape). The protocol uses the process's original standard output; the
service's prints and log lines go to standard error, which the server passes through.

A worker is like one Lambda execution environment: the target is imported once (the "cold
start"), then invocations run one after another with the module state kept between them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["main"]


def _loaded_files() -> dict[str, list[int]]:
    """The source files of the modules loaded from outside the standard library and the
    installed packages, with ``[mtime_ns, size]``: what a change to reloads the code."""
    skip = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    found: dict[str, list[int]] = {}
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file or not file.endswith(".py"):
            continue
        path = os.path.realpath(file)
        if path.startswith(skip):
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        found[path] = [st.st_mtime_ns, st.st_size]
    return found


def _failure_files(exc: BaseException, target_file: str | None) -> dict[str, list[int]]:
    files = _loaded_files()
    names = [frame.filename for frame in traceback.extract_tb(exc.__traceback__)]
    if isinstance(exc.__cause__, SyntaxError) and exc.__cause__.filename:
        names.append(exc.__cause__.filename)
    if isinstance(exc, SyntaxError) and exc.filename:
        names.append(exc.filename)
    if target_file:
        names.append(target_file)
    for name in names:
        try:
            st = os.stat(name)
        except OSError:
            continue
        files[os.path.realpath(name)] = [st.st_mtime_ns, st.st_size]
    return files


def _describe(project: Any) -> dict[str, Any]:
    from pypwext.tools._openapi import openapi_document

    doc: dict[str, Any] | None = None
    doc_error: str | None = None
    if project.api is not None:
        try:
            doc = openapi_document(project.api)
        except Exception as exc:  # a type the generator does not know must not stop the server
            doc_error = f"{type(exc).__name__}: {exc}"
    return {
        "functions": [
            {
                "names": list(f.names),
                "kind": "api" if f.api is not None else "service" if f.service is not None else "handler",
                "route": f.service.route if f.service is not None else None,
            }
            for f in project.functions
        ],
        "http": project.http is not None,
        "routes": [f"{r.method} {r.template}" for r in project.api.routes] if project.api else [],
        "openapi": doc,
        "openapi_error": doc_error,
        "mask": project.mask,
        "source": project.source,
        "source_conflict": project.source_conflict,
    }


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[1:],
    }


def _run(project: Any, message: dict[str, Any]) -> dict[str, Any]:
    from pypwext.testing import ClientContext, lambda_context

    name = message.get("function")
    if name is None:
        handler = project.http
    else:
        function = project.function(name)
        if function is None:
            return {"missing": True}
        handler = function.handler
    custom = message.get("client_context")
    context = lambda_context(
        message.get("function_name") or name or "local",
        timeout_s=float(message.get("timeout_s") or 30.0),
        aws_request_id=message.get("request_id"),
        client_context=ClientContext(
            client=custom.get("client"), custom=custom.get("custom") or {}, env=custom.get("env") or {}
        )
        if isinstance(custom, dict)
        else None,
    )
    trace = message.get("trace_id")
    try:
        with _trace_header(trace if isinstance(trace, str) else None):
            result = handler(message.get("event"), context)
    except Exception as exc:
        traceback.print_exc()
        return {"error": _error(exc)}
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        return {
            "error": {
                "errorType": "Runtime.MarshalError",
                "errorMessage": f"Unable to marshal response: {exc}",
                "stackTrace": [],
            }
        }
    reply: dict[str, Any] = {"result": result}
    route = message.get("route")
    if name is None and isinstance(route, list) and len(route) == 2:
        # one match of the request's route, for the access line's operation and path
        api = project.api
        matched = api.match(str(route[0]), str(route[1])).route if api is not None else None
        if api is not None:
            reply["operation"] = matched.operation if matched is not None else None
        if project.mask is not None:
            reply["path"] = project.shown_path(matched)  # None: the concrete path may be shown
    return reply


@contextlib.contextmanager
def _trace_header(value: str | None) -> Iterator[None]:
    """``_X_AMZN_TRACE_ID`` set to ``value`` for one invocation, as Lambda's runtime sets it from
    the Invoke API call's ``X-Amzn-Trace-Id`` (so the callee joins its caller's trace); the
    environment as it was without one, and again afterwards."""
    if not value or "\0" in value:
        yield
        return
    key = "_X_AMZN_TRACE_ID"
    before = os.environ.get(key)
    os.environ[key] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, default=str) + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    """Run a worker for ``argv[0]`` (the target) until standard input closes."""
    args = sys.argv[1:] if argv is None else argv
    target = args[0]
    # The protocol keeps the real stdout; everything the service prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", encoding="utf-8", buffering=1, closefd=False)

    from pypwext.tools._local.targets import load_project

    spec = target.partition(":")[0]
    target_file = os.path.realpath(spec) if spec.endswith(".py") or "/" in spec else None
    try:
        project = load_project(target)
    except Exception as exc:
        cause = exc.__cause__ or exc
        text = "".join(traceback.format_exception(cause)) if cause is not exc else str(exc)
        _send(
            out,
            {"ok": False, "error": str(exc), "traceback": text, "files": _failure_files(exc, target_file)},
        )
        return 3
    _send(out, {"ok": True, "describe": _describe(project), "files": _loaded_files()})
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = _run(project, json.loads(line))
        sys.stdout.flush()
        sys.stderr.flush()
        _send(out, reply)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
