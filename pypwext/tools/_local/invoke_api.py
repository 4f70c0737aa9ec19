"""The Invoke API of ``pypwext serve``: one ``POST /2015-03-31/functions/{name}/invocations``
turned into a worker invocation and answered as Lambda answers it.

``X-Amz-Invocation-Type`` ``RequestResponse`` (the default) answers the function's result;
``Event`` answers 202 and runs it in the background; ``DryRun`` answers 204. An unhandled
exception (or a worker that dies or times out) is a 200 with ``X-Amz-Function-Error: Unhandled``
and Lambda's error document; an unknown name is a 404 ``ResourceNotFoundException``; a body over
Lambda's limit a 413, one that is not JSON a 400. The caller's ``X-Amz-Client-Context`` becomes
the callee's ``context.client_context`` and its ``X-Amzn-Trace-Id`` the callee's
``_X_AMZN_TRACE_ID`` (the callee joins the caller's trace), as on Lambda. The HTTP server
(:mod:`pypwext.tools._local.server`) routes the request here and writes the :class:`Answer`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from email.message import Message
from typing import Any, NamedTuple

from pypwext.tools._local.log import ServeLog
from pypwext.tools._local.pool import LoadError, WorkerCrashed, WorkerPool

__all__ = ["INVOKE_PATH", "Answer", "answer", "function_name"]

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
"""The Invoke API's path; ``name`` is the function's name, ``name:qualifier`` or its ARN."""


class Answer(NamedTuple):
    """What the server writes back: the status, the headers and the body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def function_name(raw: str) -> str:
    """``name``, ``name:qualifier`` or an ARN -> the function name."""
    if raw.startswith("arn:"):
        parts = raw.split(":")
        return parts[6] if len(parts) > 6 else raw
    return raw.split(":", 1)[0]


def _json(status: int, value: Any, headers: list[tuple[str, str]]) -> Answer:
    return Answer(status, [("Content-Type", "application/json"), *headers], json.dumps(value).encode("utf-8"))


def _text(status: int, text: str) -> Answer:
    return Answer(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode("utf-8"))


def answer(
    pool: WorkerPool, log: ServeLog, timeout_s: float, raw_name: str, headers: Message, body: bytes
) -> Answer:
    """Invoke the function ``raw_name`` (as in the path, unquoted) with the request's ``headers``
    and ``body`` through ``pool``; what Lambda would answer."""
    pool.check()
    name = function_name(raw_name)
    request_id = str(uuid.uuid4())
    ids = [("x-amzn-RequestId", request_id)]
    try:
        describe = pool.describe()
    except LoadError as exc:
        return _text(502, f"pypwext serve: the code does not load:\n{exc}\n")
    names = [n for f in describe["functions"] for n in f["names"]]
    if name not in names:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        return _json(
            404,
            {"Type": "User", "Message": f"Function not found: {arn} (this server hosts: {', '.join(names)})"},
            [("x-amzn-ErrorType", "ResourceNotFoundException"), *ids],
        )
    kind = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    limit = 256 * 1024 if kind == "Event" else 6 * 1024 * 1024
    if len(body) > limit:
        return _json(
            413,
            {
                "Type": "User",
                "message": f"Request must be smaller than {limit} bytes for the {kind} invocation type",
            },
            [("x-amzn-ErrorType", "RequestTooLargeException"), *ids],
        )
    try:
        event = json.loads(body) if body.strip() else {}
    except ValueError:
        return _json(
            400,
            {"Type": "User", "message": "Could not parse request body into json"},
            [("x-amzn-ErrorType", "InvalidRequestContentException"), *ids],
        )
    message: dict[str, Any] = {
        "function": name,
        "event": event,
        "request_id": request_id,
        "timeout_s": timeout_s,
        "function_name": name,
    }
    client_context = headers.get("X-Amz-Client-Context")
    if client_context:
        try:
            message["client_context"] = json.loads(base64.b64decode(client_context))
        except ValueError:
            pass
    trace = headers.get("X-Amzn-Trace-Id")
    if trace:  # Lambda gives it to the callee as _X_AMZN_TRACE_ID: it joins the caller's trace
        message["trace_id"] = trace
    if kind == "DryRun":
        return Answer(204, ids, b"")
    if kind == "Event":

        def background() -> None:
            try:
                reply = pool.run(message, timeout_s)
                if "error" in reply:
                    log.error(
                        f"pypwext serve: async invoke of {name} failed: {reply['error']['errorMessage']}"
                    )
            except Exception as exc:
                log.error(f"pypwext serve: async invoke of {name} failed: {exc}")

        threading.Thread(target=background, daemon=True).start()
        return Answer(202, ids, b"")
    if kind != "RequestResponse":
        return _json(
            400,
            {"Type": "User", "message": f"unknown X-Amz-Invocation-Type {kind!r}"},
            [("x-amzn-ErrorType", "InvalidParameterValueException"), *ids],
        )
    try:
        reply = pool.run(message, timeout_s)
    except LoadError as exc:
        log.error(f"pypwext serve: the code does not load:\n{exc}")
        return _text(502, f"pypwext serve: the code does not load:\n{exc}\n")
    except WorkerCrashed as exc:
        log.error(f"pypwext serve: 502: {exc}")
        doc = {"errorType": exc.error_type, "errorMessage": str(exc), "requestId": request_id}
        return _json(200, doc, [("X-Amz-Function-Error", "Unhandled"), *ids])
    done = [*ids, ("X-Amz-Executed-Version", "$LATEST")]
    if "error" in reply:
        return _json(
            200, {**reply["error"], "requestId": request_id}, [*done, ("X-Amz-Function-Error", "Unhandled")]
        )
    return _json(200, reply["result"], done)
