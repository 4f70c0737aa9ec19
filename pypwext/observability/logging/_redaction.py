"""Redaction of the values a log line shows: what is masked by classification and by name, and
the JSON-ready rendering of any value with its classified fields masked (:func:`redact`,
:func:`render`).

A value classified ``PII`` or ``AUTHORIZATION_INFO`` -- by the method, the service class, the
error that carries it or an attrs/dataclass/pydantic field's ``metadata={"classification":
...}`` at any depth -- is replaced by :data:`MASK`; a key whose name says it carries a
credential (:func:`~pypwext.observability.logging._masking.is_credential_name`) and a
request's cookies are always masked. ``PYPWEXT_LOG_UNMASKED=true`` (:data:`UNMASK_ENV`) lifts
the masking for a debugging session.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from pypwext import _pydantic
from pypwext.base import CONFIDENTIAL, InfoClassification
from pypwext.codec import loads, to_jsonable
from pypwext.errors import ServiceError
from pypwext.observability.logging._masking import is_credential_name
from pypwext.wire._events import EventSource, Request
from pypwext.wire._responses import Response

__all__ = [
    "MASK",
    "RENDER_ITEMS",
    "SENSITIVE_HEADERS",
    "UNMASK_ENV",
    "is_masked",
    "redact",
    "render",
]

MASK = "*** redacted ({classification}) ***"
"""What a masked value looks like in a log line, e.g. ``*** redacted (PII) ***``."""

UNMASK_ENV = "PYPWEXT_LOG_UNMASKED"
"""Set to ``true``/``1`` to write classified values in clear (a debugging session only)."""

SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token"})
"""Some headers whose values never reach a log line, whatever the classification: examples of
the rule :func:`is_credential_name`, which decides (it masks ``Proxy-Authorization``,
``X-Auth-Token``, ``access_token``... as well)."""

_MASKED = CONFIDENTIAL
_MASKED_NAMES = frozenset(c.value for c in _MASKED)
_AUTH_MASK = MASK.format(classification=InfoClassification.AUTHORIZATION_INFO.value)
_PII_MASK = MASK.format(classification=InfoClassification.PII.value)
_MAX_DEPTH = 24

_unmasked: bool | None = None


def _masking_lifted() -> bool:
    global _unmasked
    if _unmasked is None:
        _unmasked = os.environ.get(UNMASK_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return _unmasked


def is_masked(classification: InfoClassification | str | None) -> bool:
    """Whether values of ``classification`` are masked in log lines (PII, AUTHORIZATION_INFO)."""
    if classification is None or _masking_lifted():
        return False
    return classification in _MASKED or classification in _MASKED_NAMES


def _mask(classification: InfoClassification | str) -> str:
    value = classification.value if isinstance(classification, InfoClassification) else str(classification)
    return MASK.format(classification=value)


def redact(value: Any, classification: InfoClassification) -> Any:
    """``value`` as it may appear in a log line: masked as a whole when its classification forbids
    clear text, else rendered with :func:`render` (which masks classified fields inside it).

    >>> redact({"ssn": "19120102-01921"}, InfoClassification.PII)
    '*** redacted (PII) ***'
    >>> redact({"n": 3, "headers": {"Authorization": "Bearer x"}}, InfoClassification.NA)
    {'n': 3, 'headers': {'Authorization': '*** redacted (AUTHORIZATION_INFO) ***'}}
    """
    if is_masked(classification):
        return _mask(classification)
    return render(value)


def render(value: Any) -> Any:
    """The JSON-ready form of ``value`` for a log line, with classified fields masked.

    attrs and dataclass fields whose ``metadata["classification"]`` is PII or AUTHORIZATION_INFO
    are masked at any depth; sensitive headers are masked in any mapping; a :class:`Request`
    shows its method, path, headers, query, path parameters and body, its cookies masked; a
    :class:`~pypwext.ServiceError` classified PII shows neither its message nor its details.
    Everything else goes through the one codec (:func:`pypwext.codec.to_jsonable`); what it
    cannot encode is shown by its ``repr``.
    """
    return _render(value, 0)


_SCALARS = (str, int, float, bool, type(None))

RENDER_ITEMS = 100
"""How many items of a list (or keys of a mapping) a log line shows, at any depth; the rest are
counted in one last item (``"... 20900 more items"``, a ``"..."`` key). A DEBUG line logs each
lifecycle method's input and result: without a bound, a 1 MB body of items made every such line
a megabyte, and as costly to build, mask and write."""


def _render(value: Any, depth: int) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if depth > _MAX_DEPTH:
        return "..."
    depth += 1
    if isinstance(value, Mapping):
        return _render_mapping(value, depth)
    if isinstance(value, (list, tuple)):
        if len(value) <= RENDER_ITEMS:
            return [_render(v, depth) for v in value]
        shown = [_render(v, depth) for v in value[:RENDER_ITEMS]]
        shown.append(f"... {len(value) - RENDER_ITEMS} more items")
        return shown
    if isinstance(value, Request):
        return _render_request(value, depth)
    if isinstance(value, Response):
        return _render_response(value, depth)
    if isinstance(value, ServiceError):
        return _render_error(value, depth)
    cls = type(value)
    if _has_spec(value, cls):
        return {
            name: (_mask(c) if c is not None else _render(getattr(value, name), depth))
            for name, c in _spec(cls)
        }
    if isinstance(value, BaseException):
        return f"{cls.__name__}: {value}"
    try:
        converted = to_jsonable(value)
    except Exception:  # a log line never fails: show what cannot be encoded by its repr
        return repr(value)
    return _render(converted, depth)


_SPECS: dict[type, tuple[tuple[str, str | None], ...]] = {}


def _has_spec(value: Any, cls: type) -> bool:
    """Whether ``value`` (of type ``cls``) has declared fields :func:`_spec` reads: an attrs
    instance, a dataclass instance or a pydantic model."""
    return (
        attrs.has(cls)
        or (dataclasses.is_dataclass(value) and not isinstance(value, type))
        or _pydantic.is_model_type(cls)
    )


def _spec(cls: type) -> tuple[tuple[str, str | None], ...]:
    """(field name, masking classification or None) for an attrs class or dataclass, cached."""
    spec = _SPECS.get(cls)
    if spec is None:
        fields: Any = (
            _pydantic.fields(cls)  # Field(json_schema_extra={"classification": ...}) as metadata
            if _pydantic.is_model_type(cls)
            else attrs.fields(cls)
            if attrs.has(cls)
            else dataclasses.fields(cls)
        )
        items = []
        for f in fields:
            c = f.metadata.get("classification") if f.metadata else None
            if isinstance(c, InfoClassification):
                c = c.value
            items.append((f.name, c if c in _MASKED_NAMES else None))
        spec = _SPECS[cls] = tuple(items)
    if _masking_lifted():
        return tuple((name, None) for name, _ in spec)
    return spec


def _render_mapping(value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lifted = _masking_lifted()
    classification = value.get("classification") if "classification" in value else None
    if not lifted and classification in _MASKED_NAMES and ("msg" in value or "details" in value):
        # PyPwExt's error object ({"code", "msg", "classification", "details"}) of a classified error
        mask = _mask(classification)
        return {str(k): (mask if k in ("msg", "details") else _render(v, depth)) for k, v in value.items()}
    items: Iterable[tuple[Any, Any]] = value.items()
    more = len(value) - RENDER_ITEMS
    if more > 0:
        items = itertools.islice(items, RENDER_ITEMS)
    for key, item in items:
        name = (
            key if isinstance(key, str) else str(to_jsonable(key) if not isinstance(key, _SCALARS) else key)
        )
        if not lifted and is_credential_name(name):
            out[name] = _AUTH_MASK
        else:
            out[name] = _render(item, depth)
    if more > 0:
        out["..."] = f"{more} more keys"
    return out


def _render_request(request: Request, depth: int) -> dict[str, Any]:
    lifted = _masking_lifted()
    body: Any
    if request.source is EventSource.DIRECT:
        body = _render(request.raw_event, depth)
    elif not request.body:
        body = None
    else:
        try:
            body = _render(loads(request.body), depth)
        except ValueError:
            body = request.body.decode("utf-8", "replace")
    return {
        "source": request.source.value,
        "method": request.method,
        "path": request.path,
        "headers": _render_mapping(request.headers, depth),
        "query": _render_mapping(request.query, depth),
        "path_params": dict(request.path_params),
        "cookies": {k: (v if lifted else _AUTH_MASK) for k, v in request.cookies.items()},
        "body": body,
        "request_id": request.request_id,
    }


def _render_response(response: Response, depth: int) -> dict[str, Any]:
    lifted = _masking_lifted()
    # The body is left out: it is what execute returned (logged, redacted, at execute's exit),
    # possibly already turned into plain JSON that no longer carries its fields' classification.
    body = response.body
    out: dict[str, Any] = {
        "status": response.status,
        "body": None if body is None else f"<{type(body).__name__}>",
    }
    if response.headers:
        out["headers"] = _render_mapping(response.headers, depth)
    if response.multi_headers:
        out["multi_headers"] = _render_mapping(response.multi_headers, depth)
    if response.cookies:
        out["cookies"] = response.cookies if lifted else [_AUTH_MASK] * len(response.cookies)
    if response.errors:
        out["errors"] = [_render_error(e, depth) for e in response.errors]
    return out


def _render_error(error: ServiceError, depth: int) -> dict[str, Any]:
    masked = is_masked(error.classification)
    return {
        "code": error.code,
        "msg": _mask(error.classification) if masked else error.msg,
        "classification": error.classification.value,
        "details": _mask(error.classification) if masked else _render_mapping(error.details, depth),
    }
