"""What an HTTP (or direct) service reads from a request and writes into an answer: the input
data (JSON body, query and path parameters), the error body, a result with its collected errors,
and the request of an event the source adapter cannot read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pypwext import codec
from pypwext.errors import BadRequest, ServiceError
from pypwext.wire._events import Request, detect_source

__all__ = ["error_body", "fallback_request", "http_document", "http_input", "with_errors"]


def fallback_request(event: Any, context: Any) -> Request:
    source = detect_source(event)
    return Request(
        source=source,
        method="",
        path="",
        raw_event=event,
        context=context,
        multi_value=isinstance(event, Mapping) and "multiValueHeaders" in event,
    )


def error_body(errors: list[ServiceError]) -> Any:
    if len(errors) == 1:
        return errors[0].to_dict()
    return [e.to_dict() for e in errors]


def with_errors(result: Any, errors: list[ServiceError]) -> Any:
    value = None if result is None else codec.unstructure(result)
    if value is None:
        return {"error": error_body(errors)}
    if isinstance(value, dict):
        return {**value, "error": error_body(errors)}
    return {"result": value, "error": error_body(errors)}


def http_input(request: Request, fields: frozenset[str] | None) -> Any:
    """The data to structure from an HTTP request.

    The JSON body is the input. For an attrs class or dataclass, query parameters then path
    parameters fill the fields the class declares: a body field wins over a query parameter,
    and a path parameter wins over both (the path names the resource).
    """
    if request.body:
        content_type = request.content_type
        if (
            content_type is not None
            and content_type != "application/json"
            and not content_type.endswith("+json")
        ):
            shown = content_type if len(content_type) <= 64 else content_type[:61] + "..."  # never echo much
            raise BadRequest.invalid(
                "unsupported content type", ("", f"expected application/json, got {shown}")
            )
        data = request.json()
    else:
        data = None
    if fields is None:
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return data  # structuring reports "expected an object"
    from_query = [k for k in request.query if k in fields and k not in data]
    from_path = [k for k in request.path_params if k in fields]
    if not from_query and not from_path:
        return data
    merged = {k: request.query[k] for k in from_query}
    merged.update(data)
    merged.update({k: request.path_params[k] for k in from_path})
    return merged


def http_document(request: Request) -> dict[str, Any]:
    """The document an HTTP (or direct-invoke) service's idempotency key is read from.

    ``body`` (the parsed JSON body; the event itself for a direct invoke; the text when the body
    is not JSON), ``method``, ``path``, ``query``, ``path_params`` and ``headers`` (names in
    lower case).
    """
    try:
        body: Any = request.json()
    except BadRequest:
        body = request.body.decode("utf-8", "replace")
    return {
        "body": body,
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "path_params": dict(request.path_params),
        "headers": {name.lower(): value for name, value in request.headers.items()},
    }
