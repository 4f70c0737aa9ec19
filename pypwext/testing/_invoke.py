"""``invoke`` and ``read_result``: run a handler on an event and read its answer back as an
:class:`InvokeResult`, whatever the source (HTTP payloads or a direct-invoke document)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from pypwext import codec
from pypwext.runtime._service import BaseService
from pypwext.testing._common import _JSON, _as_list
from pypwext.testing._context import lambda_context
from pypwext.wire._events import Headers
from pypwext.wire._responses import from_direct, is_direct_document


@attrs.frozen
class InvokeResult:
    """What a handler answered, read back whatever the source: assert on meaning, not strings.

    ``headers`` is looked up in any case (``get_all`` lists repeated ones); ``cookies`` are the
    ``Set-Cookie`` values wherever the source carries them; ``body`` is the body as sent (base64
    text when ``is_base64``; the JSON text of a direct-invoke document's body); ``json`` the
    parsed body (``None`` when empty or not JSON); ``errors`` PyPwExt's error objects, from the
    body's ``"error"`` or a direct-invoke document's ``errors``; ``raw`` what the handler returned.

    >>> from pypwext import BaseService, NotFound, Request
    >>> from pypwext.testing import alb_event
    >>> class Missing(BaseService):
    ...     just_status_code = False
    ...     def execute(self, request: Request) -> None:
    ...         raise NotFound("no such order")
    >>> result = invoke(Missing, alb_event("GET", "/orders/7"))
    {"level":"INFO",...,"message":"GET /orders/7 -> 404",...}
    >>> result.status, result.errors[0]["msg"]
    (404, 'no such order')
    """

    status: int
    headers: Headers
    cookies: list[str]
    body: str
    json: Any
    errors: list[dict[str, Any]]
    raw: Any = attrs.field(repr=False)
    is_base64: bool = False

    @property
    def content(self) -> bytes:
        """The body as bytes (base64-decoded when ``is_base64``)."""
        if self.is_base64:
            return base64.b64decode(self.body)
        return self.body.encode("utf-8")


Target = BaseService | type[BaseService] | Callable[[Any, Any], Any]


def invoke(target: Target, event: Any, context: Any = None) -> InvokeResult:
    """Run ``target`` -- a service instance, a service class (a fresh instance) or any handler
    -- on ``event`` and read its answer back; ``context`` defaults to :func:`lambda_context`.

    >>> from pypwext import BaseService, Request
    >>> from pypwext.testing import function_url_event
    >>> class Echo(BaseService):
    ...     def execute(self, request: Request) -> object:
    ...         return request.json()
    >>> invoke(Echo, {"order": 7}).json
    {"level":"INFO",...,"message":"INVOKE -> 200",...}
    {'order': 7}
    >>> invoke(Echo, function_url_event("POST", "/", body=[1, 2])).json
    {"level":"INFO",...,"message":"POST / -> 200",...}
    [1, 2]
    """
    if context is None:
        context = lambda_context()
    if isinstance(target, type):
        if not issubclass(target, BaseService):
            raise TypeError(
                f"invoke() takes a service class, a service instance or a handler, got {target!r}"
            )
        raw = target()(event, context)
    elif callable(target):
        raw = target(event, context)
    else:
        raise TypeError(f"invoke() takes a service class, a service instance or a handler, got {target!r}")
    return read_result(raw)


def read_result(raw: Any) -> InvokeResult:
    """Read a handler's return value as an :class:`InvokeResult` (what :func:`invoke` does
    after the call).

    A value that is neither an HTTP response nor a pypwext direct-invoke document is a plain
    direct-invoke result: status 200 (what the Invoke API reports), the value as ``json``.

    >>> read_result({"statusCode": 201, "cookies": ["a=1"], "body": '{"id": 7}'}).json
    {'id': 7}
    >>> read_result([1, 2]).status
    200
    """
    if is_direct_document(raw):
        return _read_direct(raw)
    if isinstance(raw, Mapping) and isinstance(raw.get("statusCode"), int):
        return _read_http(raw)
    body = "" if raw is None else raw if isinstance(raw, str) else codec.dumps(raw)
    return InvokeResult(200, Headers(), [], body, raw, [], raw)


def _read_direct(raw: Mapping[str, Any]) -> InvokeResult:
    status, value, _ = from_direct(raw)
    headers = Headers({str(k): str(v) for k, v in (raw.get("headers") or {}).items()})
    is_b64 = isinstance(value, bytes)
    if is_b64:
        body, data = str(raw["body"]), None
    elif value is None:
        body, data = "", None
    else:
        body, data = (value if isinstance(value, str) else codec.dumps(value)), value
    errors = [dict(e) for e in raw["errors"]] or _body_errors(data)
    return InvokeResult(status, headers, [], body, data, errors, raw, is_b64)


def _read_http(raw: Mapping[str, Any]) -> InvokeResult:
    # API Gateway merges headers and multiValueHeaders; for a name in both, multiValueHeaders wins.
    multi: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, values in (raw.get("multiValueHeaders") or {}).items():
        key = str(name).lower()
        names.setdefault(key, str(name))
        multi.setdefault(key, []).extend(_as_list(values))
    from_single: dict[str, list[str]] = {}
    for name, value in (raw.get("headers") or {}).items():
        key = str(name).lower()
        names.setdefault(key, str(name))
        from_single.setdefault(key, []).append(str(value))  # ALB: Set-Cookie in case variants
    for key, values in from_single.items():
        multi.setdefault(key, values)
    headers = Headers(multi={names[key]: values for key, values in multi.items()})
    cookies = [str(c) for c in raw.get("cookies") or []] + multi.get("set-cookie", [])
    body = raw.get("body")
    text = body if isinstance(body, str) else "" if body is None else codec.dumps(body)
    is_b64 = raw.get("isBase64Encoded") is True
    data = _parse_json(text, is_b64, headers.get("content-type"))
    return InvokeResult(int(raw["statusCode"]), headers, cookies, text, data, _body_errors(data), raw, is_b64)


def _parse_json(text: str, is_b64: bool, content_type: str | None) -> Any:
    if not text:
        return None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media and media != _JSON and not media.endswith("+json"):
        return None
    try:
        return codec.loads(base64.b64decode(text) if is_b64 else text)
    except ValueError:  # includes a body that is not base64 or not UTF-8
        return None


def _body_errors(data: Any) -> list[dict[str, Any]]:
    error = data.get("error") if isinstance(data, Mapping) else None
    if isinstance(error, Mapping):
        return [dict(error)]
    if isinstance(error, list):
        return [dict(e) for e in error if isinstance(e, Mapping)]
    return []
