"""An OpenAPI 3.1 document for routed services, built from what the classes already say.

:func:`openapi_document` reads, for each route of an :class:`~pypwext.runtime._routes.Api`:

* the **path and method** from ``route`` (a greedy ``{path+}`` becomes ``{path}``; ``ANY``
  becomes one operation per method);
* the **input** from the type annotated on ``validate`` (or ``execute``): the path parameters
  take the schema of the input field of the same name (``string`` when there is none); for
  ``GET``, ``HEAD``, ``DELETE`` and ``OPTIONS`` the other scalar fields are query parameters,
  for the other methods the input (without the path fields) is the JSON request body. Field
  types, ``required`` (a field without a default), defaults, nested classes, ``list``/``dict``/
  ``Optional``, enums, ``Literal``, ``datetime``/``date``/``UUID``/``Decimal``/``bytes`` map to
  JSON Schema; a field's description comes from ``metadata={"description": ...}`` (or
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

import ast
import dataclasses
import datetime as _dt
import enum
import inspect
import itertools
import re
import textwrap
import types
import typing
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from pypwext import _pydantic, codec
from pypwext.base import InfoClassification
from pypwext.runtime._routes import Api, Route
from pypwext.runtime._service import BaseService
from pypwext.tools._openapi_constraints import field_constraints
from pypwext.tools._openapi_errors import operation_errors
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
_SCALARS: dict[Any, dict[str, Any]] = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bytes: {"type": "string", "contentEncoding": "base64"},
    Decimal: {"type": ["string", "number"], "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
    _dt.datetime: {"type": "string", "format": "date-time"},
    _dt.date: {"type": "string", "format": "date"},
    _dt.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    type(None): {"type": "null"},
}


class SchemaBuilder:
    """Turns Python types into JSON Schema, collecting attrs classes and dataclasses as named
    components (``#/components/schemas/Name``).

    >>> @attrs.frozen
    ... class Item:
    ...     id: int
    ...     tags: list[str] = attrs.Factory(list)
    >>> b = SchemaBuilder()
    >>> b.schema(list[Item]), b.components["Item"]["required"]
    ({'type': 'array', 'items': {'$ref': '#/components/schemas/Item'}}, ['id'])
    """

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}
        self._names: dict[type, str] = {}
        self.pydantic_mode = "validation"  # a pydantic model as a request sees it, or an answer

    def schema(self, tp: Any) -> dict[str, Any]:
        """The JSON Schema of ``tp``."""
        if tp in (Any, object) or tp is inspect.Parameter.empty:
            return {}
        if tp is None:
            return {"type": "null"}
        if tp in _SCALARS:
            return dict(_SCALARS[tp])
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return self.schema(args[0])
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.schema(a) for a in args]}
        if origin in (list, set, frozenset) or tp in (list, set, frozenset):
            out: dict[str, Any] = {"type": "array", "items": self.schema(args[0]) if args else {}}
            if origin in (set, frozenset) or tp in (set, frozenset):
                out["uniqueItems"] = True
            return out
        if origin is tuple or tp is tuple:
            if not args or (len(args) == 2 and args[1] is Ellipsis):
                return {"type": "array", "items": self.schema(args[0]) if args else {}}
            items = [self.schema(a) for a in args]
            return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
        if origin in (dict, Mapping) or tp is dict:
            return {"type": "object", "additionalProperties": self.schema(args[1]) if len(args) == 2 else {}}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum_schema(tp)
        if _is_model(tp):
            return {"$ref": f"#/components/schemas/{self._component(tp)}"}
        if _pydantic.is_model_type(tp):  # pydantic's JSON Schema, its models as components
            ref, defs = _pydantic.json_schema(tp, "#/components/schemas/{model}", self.pydantic_mode)
            self.components.update(defs)
            return ref
        return {}

    def model_schema(self, cls: type, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The object schema of an attrs class or dataclass, without the fields in ``exclude``."""
        hints = _hints(cls)
        docs = _field_docs(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, field_type, default, meta in _model_fields(cls, hints):
            if name in exclude:
                continue
            prop = self.schema(field_type)
            if rules := field_constraints(cls, name, prop):  # the attrs validators' rules
                prop = {"allOf": [prop], **rules} if "$ref" in prop else {**prop, **rules}
            description = meta.get("description") or meta.get("doc") or docs.get(name)
            if description:
                prop = (
                    {**prop, "description": str(description)}
                    if "$ref" not in prop
                    else {
                        "allOf": [prop],
                        "description": str(description),
                    }
                )
            if default is _REQUIRED:
                required.append(name)
            elif default is not _NO_JSON_DEFAULT:
                prop = {**prop, "default": default}
            properties[name] = prop
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        if cls.__dict__.get("__pypwext_strict__"):
            out["additionalProperties"] = False
        doc = inspect.getdoc(cls)
        if doc and not _is_generated_doc(cls, doc):
            out["description"] = doc
        return out

    def _component(self, cls: type) -> str:
        if cls in self._names:
            return self._names[cls]
        name = cls.__name__
        if name in self.components or name in ("Error", "ErrorBody"):
            name = f"{cls.__module__.replace('.', '_')}_{cls.__qualname__.replace('.', '_')}"
        self._names[cls] = name
        self.components[name] = {}  # placeholder: recursive types refer to it
        self.components[name] = self.model_schema(cls)
        return name


class _Marker:
    pass


_REQUIRED = _Marker()
_NO_JSON_DEFAULT = _Marker()


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and (attrs.has(tp) or dataclasses.is_dataclass(tp))


def _enum_schema(cls: type[enum.Enum]) -> dict[str, Any]:
    values = [m.value for m in cls]
    out: dict[str, Any] = {"enum": values}
    if all(isinstance(v, str) for v in values):
        out["type"] = "string"
    elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        out["type"] = "integer"
    return out


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, localns={cls.__name__: cls})
    except Exception:
        return {}


def _jsonable_default(value: Any) -> Any:
    try:
        return codec.loads(codec.dumps(codec.unstructure(value)))
    except Exception:
        return _NO_JSON_DEFAULT


def _model_fields(cls: type, hints: dict[str, Any]) -> list[tuple[str, Any, Any, Mapping[str, Any]]]:
    fields: list[tuple[str, Any, Any, Mapping[str, Any]]] = []
    if attrs.has(cls):
        for a in attrs.fields(cls):
            if not a.init:
                continue
            if a.default is attrs.NOTHING:
                default: Any = _REQUIRED
            elif isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
                made = a.default
                default = _NO_JSON_DEFAULT if made.takes_self else _jsonable_default(made.factory())
            else:
                default = _jsonable_default(a.default)
            fields.append((a.alias or a.name, hints.get(a.name, a.type), default, a.metadata))
        return fields
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = _jsonable_default(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = _jsonable_default(f.default_factory())
        else:
            default = _REQUIRED
        fields.append((f.name, hints.get(f.name, f.type), default, f.metadata))
    return fields


def _field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings: a string literal right under a field in the class body."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return {}
    body = next((n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef)), [])
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _is_generated_doc(cls: type, doc: str) -> bool:
    return dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}(")


def _return_type(service: type[BaseService]) -> Any:
    fn = getattr(service.execute, "__wrapped__", service.execute)
    try:
        return typing.get_type_hints(fn).get("return", inspect.Parameter.empty)
    except Exception:
        return inspect.Parameter.empty


def _input_fields(input_type: Any, hints_cache: SchemaBuilder) -> dict[str, tuple[Any, bool]]:
    """name -> (type, required) for an attrs/dataclass input."""
    if not _is_model(input_type):
        return _pydantic.input_fields(input_type)
    return {
        name: (tp, default is _REQUIRED)
        for name, tp, default, _ in _model_fields(input_type, _hints(input_type))
    }


def _is_scalar(tp: Any) -> bool:
    if tp in _SCALARS or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType):
        return all(_is_scalar(a) for a in typing.get_args(tp))
    return False


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
    fields = _input_fields(input_type, builder) if typed else {}
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
        schema = builder.schema(tp) if _is_scalar(tp) else {"type": "string"}
        schema.update(field_constraints(input_type, name, schema) if name in fields else {})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    rest = {k: v for k, v in fields.items() if k not in path_names}
    if method in _BODYLESS:
        for name, (tp, required) in rest.items():
            if _is_scalar(tp):
                schema = builder.schema(tp)
                schema.update(field_constraints(input_type, name, schema))
                params.append({"name": name, "in": "query", "required": required, "schema": schema})
    elif typed:
        if _is_model(input_type):
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
