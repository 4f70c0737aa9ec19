"""What one invocation masks by value: the values that arrived in fields classified PII or
AUTHORIZATION_INFO (or in any field, for a service so classified) and in credential-bearing
headers, query parameters and cookies, noted in the invocation's
:class:`~pypwext.observability.logging._masking.Secrets` (:func:`remember_input`,
:func:`new_secrets`), so that every line of the invocation masks them wherever they went."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections import abc
from collections.abc import Mapping
from typing import Any

import attrs

from pypwext import _pydantic
from pypwext.base import InfoClassification
from pypwext.codec import to_jsonable
from pypwext.observability.logging._masking import Secrets, current_secrets, is_credential_name
from pypwext.observability.logging._redaction import (
    _AUTH_MASK,
    _MAX_DEPTH,
    _SCALARS,
    _has_spec,
    _mask,
    _masking_lifted,
    _spec,
    is_masked,
)
from pypwext.wire._events import EventSource, Request

__all__ = ["new_secrets", "remember_input"]


def remember_input(value: Any, classification: InfoClassification) -> Any:
    """Note, for the rest of the invocation, the values of the structured input ``value`` that
    arrived in fields classified PII or AUTHORIZATION_INFO (every value, when ``classification``
    -- the service's -- is one of them), and those under credential-bearing keys: each is then
    masked wherever it appears in a log line of the invocation (see :mod:`pypwext.observability.logging._masking`).
    Returns ``value``."""
    secrets = current_secrets()
    if secrets is None or _masking_lifted():
        return value
    if is_masked(classification):
        _remember_all(value, _mask(classification), secrets, 0)
    elif _may_hold_secrets(type(value)):
        _remember_fields(value, secrets, 0)
    return value


_HOLDS: dict[Any, bool] = {}
_SEQUENCES = frozenset(
    {list, tuple, set, frozenset, abc.Sequence, abc.MutableSequence, abc.Set, abc.MutableSet}
)


def _may_hold_secrets(cls: Any) -> bool:
    """Whether a value of the type ``cls`` can hold what :func:`_remember_fields` notes -- a
    classified field, or a mapping (whose keys may name a credential) -- judged once per type
    from its declared field types, so that an input type without either costs nothing per call.

    An attrs class, a dataclass or a sequence holds what its fields or items hold; a union what
    any member holds; a mapping, ``Any``, a pydantic model or a type that cannot be read is
    assumed to hold secrets (it is walked); any other class (a scalar, an enum, a date) holds
    none. pypwext's converter makes the value of a field exactly its declared type.
    """
    known = _HOLDS.get(cls)
    if known is None:
        _HOLDS[cls] = True  # (while judged: a type that contains itself is walked)
        try:
            known = _holds(cls)
        except Exception:  # an annotation that cannot be resolved: walk
            known = True
        _HOLDS[cls] = known
    return known


def _holds(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return False
    if origin is typing.Annotated:
        return _may_hold_secrets(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_may_hold_secrets(arg) for arg in typing.get_args(tp))
    if origin in _SEQUENCES:
        items = [arg for arg in typing.get_args(tp) if arg is not Ellipsis]
        return not items or any(_may_hold_secrets(arg) for arg in items)
    if origin is not None or not isinstance(tp, type) or tp is Any or tp is object:
        return True  # a mapping, a TypeVar, Any (a class since 3.11), a string not resolved...
    if tp in _SCALARS or issubclass(tp, (enum.Enum, Request)):
        return False
    if issubclass(tp, (Mapping, list, tuple, set, frozenset)):
        return True  # (its items are not declared)
    if _pydantic.is_model_type(tp):
        return True
    if attrs.has(tp) or dataclasses.is_dataclass(tp):
        if any(c is not None for _, c in _spec(tp)):
            return True
        hints = typing.get_type_hints(tp)
        return any(_may_hold_secrets(hints.get(name, Any)) for name, _ in _spec(tp))
    return False


def new_secrets(request: Request | None) -> Secrets:
    """The values masked by value in one invocation's lines, starting with those of the
    request's credential-bearing headers, query parameters and cookies."""
    secrets = Secrets()
    if request is None or request.source is EventSource.DIRECT or _masking_lifted():
        return secrets
    for name in request.headers:
        if not is_credential_name(name):
            continue
        cookies = name.lower() in _COOKIE_HEADERS  # (its parts are the cookies, below)
        for value in request.headers.get_all(name):
            _remember_credential(value, secrets, whole_only=cookies)
    if request.query:
        for name, values in request.multi_query.items() or request.query.items():
            if not is_credential_name(name):
                continue
            for value in [values] if isinstance(values, str) else values:
                _remember_credential(value, secrets)
    if request.cookies:
        for name, value in request.cookies.items():
            if not value:  # a cookie without "=": its text is the value
                secrets.add(name, _AUTH_MASK)
            elif len(value) >= _OPAQUE or is_credential_name(name):  # a session id, not "theme=dark"
                secrets.add(value, _AUTH_MASK)
    return secrets


_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
_OPAQUE = 16


def _remember_credential(value: str, secrets: Secrets, whole_only: bool = False) -> None:
    """A credential's value, and the parts after its scheme (``Bearer <token>``)."""
    secrets.add(value, _AUTH_MASK)
    words = value.split()
    if whole_only or len(words) < 2:
        return
    for word in words[1:] if words[0].isalpha() else words:
        secrets.add(word.rstrip(","), _AUTH_MASK)


def _remember_fields(value: Any, secrets: Secrets, depth: int) -> None:
    if isinstance(value, _SCALARS) or depth > _MAX_DEPTH or isinstance(value, Request):
        return
    depth += 1
    cls = type(value)
    if _has_spec(value, cls):
        for name, c in _spec(cls):
            item = getattr(value, name, None)
            if c is not None:
                _remember_all(item, _mask(c), secrets, depth)
            else:
                _remember_fields(item, secrets, depth)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and is_credential_name(key):
                _remember_all(item, _AUTH_MASK, secrets, depth)
            else:
                _remember_fields(item, secrets, depth)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _remember_fields(item, secrets, depth)


def _remember_all(value: Any, mask: str, secrets: Secrets, depth: int) -> None:
    """Every value inside ``value`` (a classified field), in the forms a line may show it."""
    if value is None or isinstance(value, bool) or depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        secrets.add(value, mask)
        return
    if isinstance(value, (int, float)):
        secrets.add(str(value), mask)
        return
    depth += 1
    if isinstance(value, Mapping):
        for item in value.values():  # (the keys are names, not the data)
            _remember_all(item, mask, secrets, depth)
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _remember_all(item, mask, secrets, depth)
        return
    cls = type(value)
    if _has_spec(value, cls):
        for name, _ in _spec(cls):
            _remember_all(getattr(value, name, None), mask, secrets, depth)
        return
    if isinstance(value, (bytes, bytearray)):
        secrets.add(bytes(value).decode("utf-8", "replace"), mask)
    secrets.add(str(value), mask)  # a Decimal, a date, a UUID: as str() and as the codec shows it
    try:
        shown = to_jsonable(value)
    except Exception:  # not encodable: its str() is what a line would show
        return
    _remember_all(shown, mask, secrets, depth)
