"""An OpenAPI 3.1 document for routed services, built from what the classes already say: this
module owns the document's paths, operations, parameters and responses.

:func:`openapi_document` reads, for each route of an :class:`~pypwext.runtime._routes.Api`:

* the **path and method** from ``route`` (a greedy ``{path+}`` becomes ``{path}``; ``ANY``
  becomes one operation per method);
* the **input** from the type annotated on ``validate`` (or ``execute``): the path parameters
  take the schema of the input field of the same name (``string`` when there is none); for
  ``GET``, ``HEAD``, ``DELETE`` and ``OPTIONS`` the other scalar fields are query parameters,
  for the other methods the input (without the path fields) is the JSON request body. Field
  types, ``required`` (a field without a default), defaults, nested classes, ``list``/``dict``/
  ``Optional``, enums, ``Literal``, ``datetime``/``date``/``UUID``/``Decimal``/``bytes`` map to
  JSON Schema (:mod:`pypwext.tools._openapi_schema`); a field's description comes from ``metadata={"description": ...}`` (or
  ``"doc"``), else from the string literal under the field in the class body, and a class's from
  its docstring; ``@strict`` classes forbid other properties;
* the **success response** from the return type of ``execute`` and the class's ``status``
  (``None`` answers 204, ``str`` ``text/plain``, ``bytes`` ``application/octet-stream``);
* the **error responses** (:func:`pypwext.tools._openapi_errors.operation_errors`): 400 for a typed
  input that does not fit (``details.problems`` lists each bad field by ``path`` with a
  ``reason``; none for a ``Request`` or a Powertools event input), 404 for a route with path
  parameters, the errors the class declares (``raises = (Conflict,)``) or raises by name in its
  source, 502 and 504 when it has dependencies, 500, and ``default`` for any other error, all in
  PyPwExt's error body ``{"error": {"code", "msg", "classification", "details"}}`` -- or
  without a body for a service with ``just_status_code = True``.

The operation id is the service's ``operation``; the summary and description come from the
class docstring.

>>> from pypwext import BaseService, Request
>>> from pypwext.runtime._routes import Api
>>> class Ping(BaseService):
...     '''Answer pong.'''
...     route = "GET /ping"
...     def execute(self, request: Request) -> str:
...         return "pong"
>>> doc = openapi_document(Api(Ping))
>>> doc["paths"]["/ping"]["get"]["summary"]
'Answer pong.'
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from typing import Any

from pypwext.base import InfoClassification
from pypwext.runtime._routes import Api, Route
from pypwext.runtime._service import BaseService
from pypwext.tools._openapi_constraints import field_constraints
from pypwext.tools._openapi_errors import operation_errors
from pypwext.tools._openapi_schema import SchemaBuilder, input_fields, is_model, is_scalar
from pypwext.wire._events import Request
from pypwext.wire._responses import Response

__all__ = ["ERROR_BODY_SCHEMA", "ERROR_SCHEMA", "SchemaBuilder", "openapi_document"]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One error in PyPwExt's format.",
    "required": ["code", "msg", "classification"],
    "properties": {
        "code": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status."},
        "msg": {"type": "string", "description": "What went wrong, for a human."},
        "classification": {"enum": [c.value for c in InfoClassification]},
        "details": {
            "type": "object",
            "description": "Free-form; a 400 for bad input lists every problem by field path.",
            "properties": {
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["path", "reason"],
                        "properties": {
                            "path": {
                                "type": "string",
                                "description": "items[2].quantity; '' is the whole input",
                            },
                            "reason": {"type": "string"},
                        },
                    },
                }
            },
        },
    },
}
"""The JSON Schema of one error (``ServiceError.to_dict()``)."""

ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "PyPwExt's error body: one error, or a list when several were collected "
    "(beside the result's own fields when a result carries collected errors).",
    "required": ["error"],
    "properties": {
        "error": {
            "anyOf": [
                {"$ref": "#/components/schemas/Error"},
                {"type": "array", "items": {"$ref": "#/components/schemas/Error"}},
            ]
        }
    },
}
"""The JSON Schema of an error response body."""

_BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_ANY_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _return_type(service: type[BaseService]) -> Any:
    fn = getattr(service.execute, "__wrapped__", service.execute)
    try:
        return typing.get_type_hints(fn).get("return", inspect.Parameter.empty)
    except Exception:
        return inspect.Parameter.empty


def _error_response(description: str, service: type[BaseService]) -> dict[str, Any]:
    if service.just_status_code:
        return {"description": f"{description} (no body: the service answers errors with the status only)"}
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def _success(builder: SchemaBuilder, service: type[BaseService]) -> dict[str, Any]:
    returns = _return_type(service)
    status = str(int(service.status))
    out: dict[str, Any] = {}
    args = typing.get_args(returns) if typing.get_origin(returns) in (typing.Union, types.UnionType) else ()
    optional = type(None) in args
    if optional:
        rest = [a for a in args if a is not type(None)]
        returns = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    if returns is None or returns is type(None):
        return {"204": {"description": "Done; no content."}}
    if returns is inspect.Parameter.empty or returns is Response or returns in (Any, object):
        out[status] = {"description": "Success (the service returns a Response of its own making)."}
    elif returns is str:
        out[status] = {
            "description": "Success.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    elif returns is bytes:
        out[status] = {
            "description": "Success.",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    else:
        builder.pydantic_mode = "serialization"
        out[status] = {
            "description": "Success.",
            "content": {"application/json": {"schema": builder.schema(returns)}},
        }
        builder.pydantic_mode = "validation"
    if optional:
        out["204"] = {"description": "Nothing to return."}
    return out


def _operation(builder: SchemaBuilder, route: Route, method: str, many: bool) -> dict[str, Any]:
    service = route.service
    input_type = service._pypwext_spec.input_type
    # The Request itself, or the raw event in a Powertools data class: the service reads the
    # request as it likes, and pypwext neither parses a body nor answers 400 for it
    typed = input_type is not Request and service._pypwext_spec.event_sources is None
    fields = input_fields(input_type) if typed else {}
    doc = inspect.getdoc(service) or ""
    if doc == inspect.getdoc(BaseService):
        doc = ""
    summary, _, description = _plain(doc).partition("\n\n")
    op: dict[str, Any] = {
        "operationId": route.operation if not many else f"{route.operation}-{method.lower()}",
    }
    if summary:
        op["summary"] = " ".join(summary.split())
    if description.strip():
        op["description"] = description.strip()
    params: list[dict[str, Any]] = []
    path_names = route.params
    for name in path_names:
        tp = fields.get(name, (str, True))[0]
        schema = builder.schema(tp) if is_scalar(tp) else {"type": "string"}
        schema.update(field_constraints(input_type, name, schema) if name in fields else {})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    rest = {k: v for k, v in fields.items() if k not in path_names}
    if method in _BODYLESS:
        for name, (tp, required) in rest.items():
            if is_scalar(tp):
                schema = builder.schema(tp)
                schema.update(field_constraints(input_type, name, schema))
                params.append({"name": name, "in": "query", "required": required, "schema": schema})
    elif typed:
        if is_model(input_type):
            if path_names and set(path_names) & set(fields):
                schema = builder.model_schema(input_type, exclude=frozenset(path_names))
            else:
                schema = builder.schema(input_type)
            required = any(req for _, req in rest.values())
        else:
            schema = builder.schema(input_type)
            required = input_type not in (Any, object) and not _accepts_none(input_type)
        op["requestBody"] = {"required": required, "content": {"application/json": {"schema": schema}}}
    if params:
        op["parameters"] = params
    responses = _success(builder, service)
    for code, descriptions in operation_errors(service, typed, bool(path_names)).items():
        text = descriptions[0] if len(descriptions) == 1 else "\n".join(f"- {d}" for d in descriptions)
        responses[str(code)] = _error_response(text, service)
    responses["default"] = _error_response("Any other error the service raises.", service)
    op["responses"] = responses
    return op


def _plain(text: str) -> str:
    """Docstring markup (``:class:`X```, double back-quotes) as Markdown."""
    return re.sub(r":[a-z]+:`~?([^`]*)`", r"`\1`", text).replace("``", "`")


def _accepts_none(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _openapi_path(template: str) -> str:
    return template.replace("+}", "}")


def openapi_document(
    api: Api | type[BaseService] | Any, *, title: str | None = None, version: str | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``api`` (an :class:`~pypwext.runtime._routes.Api`, its handler, or
    one routed service class) as a JSON-ready dict; see the module docs for what goes in.

    ``ValueError`` when there is no route to describe.
    """
    handler_api = getattr(api, "api", None)
    if isinstance(handler_api, Api):
        api = handler_api
    service_class = getattr(api, "service_class", None)
    if isinstance(service_class, type):
        api = service_class
    if isinstance(api, type) and issubclass(api, BaseService):
        if api.route is None:
            raise ValueError(f"{api.__qualname__} has no route: an OpenAPI document describes routes")
        api = Api(api)
    if not isinstance(api, Api):
        raise ValueError(f"an OpenAPI document needs an Api or a routed service class, got {api!r}")
    builder = SchemaBuilder()
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(api.routes, key=lambda r: r.method == "ANY"):
        item = paths.setdefault(_openapi_path(route.template), {})
        methods = _ANY_METHODS if route.method == "ANY" else (route.method,)
        for method in methods:
            if method.lower() in item:
                continue  # an exact route wins over ANY
            item[method.lower()] = _operation(builder, route, method, route.method == "ANY")
    for template, item in paths.items():
        if route_notes := [
            r for r in api.routes if r.template.endswith("+}") and _openapi_path(r.template) == template
        ]:
            item["description"] = (
                f"The last parameter of {route_notes[0].template} takes the rest of the path, slashes included."
            )
    schemas = dict(sorted(builder.components.items()))
    schemas["Error"] = ERROR_SCHEMA
    schemas["ErrorBody"] = ERROR_BODY_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": title or api.title, "version": version or api.version},
        "paths": paths,
        "components": {"schemas": schemas},
    }
