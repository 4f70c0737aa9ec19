"""Python types as JSON Schema, for the OpenAPI document (:mod:`pypwext.tools._openapi`).

:class:`SchemaBuilder` maps a type to its schema -- scalars, ``datetime``/``date``/``UUID``/
``Decimal``/``bytes``, enums, ``Literal``, ``list``/``set``/``tuple``/``dict``, unions and
``Optional`` -- and collects attrs classes and dataclasses as named components (a field's
default, required-ness, description from its metadata or the string literal under it, its attrs
validators' constraints, ``@strict`` forbidding other properties); a pydantic model brings
pydantic's own schema. :func:`input_fields` and :func:`is_scalar` tell the document which of an
input's fields are path or query parameters.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as _dt
import enum
import inspect
import itertools
import textwrap
import types
import typing
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from pypwext import _pydantic, codec
from pypwext.tools._openapi_constraints import field_constraints

__all__ = ["SchemaBuilder", "input_fields", "is_model", "is_scalar"]

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
        if is_model(tp):
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


def is_model(tp: Any) -> bool:
    """Whether ``tp`` is an attrs class or a dataclass (a named component)."""
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
        return codec.json_form(codec.unstructure(value))
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


def input_fields(input_type: Any) -> dict[str, tuple[Any, bool]]:
    """name -> (type, required) of an input type's fields (attrs, dataclass or pydantic)."""
    if not is_model(input_type):
        return _pydantic.input_fields(input_type)
    return {
        name: (tp, default is _REQUIRED)
        for name, tp, default, _ in _model_fields(input_type, _hints(input_type))
    }


def is_scalar(tp: Any) -> bool:
    """Whether ``tp`` is a scalar (a path or query parameter can hold it)."""
    if tp in _SCALARS or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType):
        return all(is_scalar(a) for a in typing.get_args(tp))
    return False
