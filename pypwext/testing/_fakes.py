"""Recording fakes for the dependencies (:class:`FakeHttp`, :class:`FakeLambdaFunction`): a
script of answers and failures, every call kept, collecting like the real clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from pypwext import codec
from pypwext.testing._common import _JSON


@attrs.frozen
class HttpCall:
    """One call a :class:`FakeHttp` received: the HTTP ``method``, the ``params`` that fill the
    URL template (or become query parameters), the ``body`` as given, and the rest."""

    method: str
    params: dict[str, Any]
    body: Any = None
    query: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    into: Any = None

    @property
    def json(self) -> Any:
        """The body as the real client would send it, read back as JSON (``None`` when none)."""
        if self.body is None or isinstance(self.body, (bytes, str)):
            return self.body
        return codec.loads(codec.dumps(self.body))


@attrs.frozen
class LambdaCall:
    """One call a :class:`FakeLambdaFunction` received: ``kind`` is ``"RequestResponse"``
    (``invoke``), ``"Event"`` (``invoke_async``) or ``"DryRun"``."""

    kind: str
    payload: Any
    params: dict[str, Any]
    client_context: dict[str, Any] | None = None

    @property
    def json(self) -> Any:
        """The payload as the real client would send it, read back as JSON."""
        if self.payload is None or isinstance(self.payload, (bytes, str)):
            return self.payload
        return codec.loads(codec.dumps(self.payload))


@attrs.define
class _Script:
    value: Any
    error: Any
    method: str | None
    when: dict[str, Any] | None
    times: int | None

    def matches(self, method: str, params: Mapping[str, Any]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.when is None or all(k in params and params[k] == v for k, v in self.when.items())


class _Fake:
    """What both fakes share: the script of answers and failures, and collecting like the real
    clients when ``on_error=ErrorAction.CONTINUE``."""

    def __init__(self, name: str, on_error: Any, default: Any) -> None:
        from pypwext.base import ErrorAction

        self.name = name
        self.on_error = ErrorAction(on_error) if on_error is not None else ErrorAction.RAISE
        self.default = default
        self._script: list[_Script] = []

    def _add(self, value: Any, error: Any, method: str | None, when: Any, times: int | None) -> Any:
        if times is not None and times < 1:
            raise ValueError(f"times must be >= 1 (or None for every call), got {times!r}")
        self._script.append(_Script(value, error, method, dict(when) if when else None, times))
        return self

    def _next(self, method: str, params: Mapping[str, Any]) -> _Script | None:
        for entry in self._script:
            if entry.matches(method, params):
                if entry.times is not None:
                    entry.times -= 1
                return entry
        return None

    def _raise(self, err: Any) -> Any:
        from pypwext.errors import collect_or_raise

        collect_or_raise(err, self.on_error)
        return self.default


class FakeHttp(_Fake):
    """A recording stand-in for an :class:`~pypwext.Http` dependency: pass it as
    ``Service(inventory=FakeHttp(...))``. It has the real client's methods (``get``, ``post``,
    ``put``, ``patch``, ``delete``, ``call``), records every call in :attr:`calls`, and answers
    from a script:

    * ``answer(value, method=None, when=None, times=None)``: return ``value`` (structured into
      ``into=`` or ``response_type`` when given, as the real client does) for the calls that
      match ``method`` and the template parameters in ``when``, ``times`` times (default: every
      time);
    * ``fail(status=503, body="", code=None, timeout=False, ...)``: raise the
      :class:`~pypwext.DependencyError` the real client raises once it gives up (code 502, 504
      for ``timeout=True``, or ``code``), with ``status`` and ``body``; with
      ``on_error=ErrorAction.CONTINUE`` it is collected and the call returns ``default``, like
      the real one.

    The first matching entry of the script wins; an entry with ``times`` used up is skipped; a
    call nothing matches returns ``None`` (an empty answer).

    >>> fake = FakeHttp().fail(status=503, times=1).answer({"stock": 3})
    >>> try:
    ...     fake.get(item_id=7)
    ... except Exception as err:
    ...     print(type(err).__name__, err.status)
    DependencyError 503
    >>> fake.get(item_id=7)
    {'stock': 3}
    >>> [(c.method, c.params) for c in fake.calls]
    [('GET', {'item_id': 7}), ('GET', {'item_id': 7})]
    """

    def __init__(
        self,
        name: str = "fake-http",
        *,
        method: str = "GET",
        response_type: Any = None,
        on_error: Any = None,
        default: Any = None,
    ) -> None:
        super().__init__(name, on_error, default)
        self.method = method.upper()
        self.response_type = response_type
        self.calls: list[HttpCall] = []
        """Every call, in order."""

    def answer(
        self,
        value: Any = None,
        *,
        method: str | None = None,
        when: Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> FakeHttp:
        """Answer ``value`` to the matching calls; returns the fake, so calls chain."""
        result: FakeHttp = self._add(value, None, method.upper() if method else None, when, times)
        return result

    def fail(
        self,
        status: int | None = 503,
        body: str | bytes = "",
        *,
        code: int | None = None,
        timeout: bool = False,
        method: str | None = None,
        when: Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> FakeHttp:
        """Fail the matching calls as the real client does after its retries."""
        spec = {"status": None if timeout else status, "body": body, "code": code, "timeout": timeout}
        result: FakeHttp = self._add(None, spec, method.upper() if method else None, when, times)
        return result

    @property
    def last(self) -> HttpCall:
        """The most recent call (``AssertionError`` when there was none)."""
        assert self.calls, f"{self.name} was never called"
        return self.calls[-1]

    def get(self, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a GET and answer from the script."""
        return self.call("GET", None, query=query, headers=headers, **params)

    def delete(self, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a DELETE and answer from the script."""
        return self.call("DELETE", None, query=query, headers=headers, **params)

    def post(self, body: Any = None, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a POST of ``body`` and answer from the script."""
        return self.call("POST", body, query=query, headers=headers, **params)

    def put(self, body: Any = None, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a PUT of ``body`` and answer from the script."""
        return self.call("PUT", body, query=query, headers=headers, **params)

    def patch(self, body: Any = None, *, query: Any = None, headers: Any = None, **params: Any) -> Any:
        """Record a PATCH of ``body`` and answer from the script."""
        return self.call("PATCH", body, query=query, headers=headers, **params)

    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Any = None,
        headers: Any = None,
        into: Any = None,
        raw: bool = False,
        **params: Any,
    ) -> Any:
        """Record one call (``method`` defaults to the fake's) and answer from the script."""
        from pypwext.errors import DependencyError

        verb = (method or self.method).upper()
        self.calls.append(
            HttpCall(
                verb,
                dict(params),
                body,
                dict(query) if query is not None else None,
                dict(headers) if headers is not None else None,
                into,
            )
        )
        entry = self._next(verb, params)
        if entry is not None and entry.error is not None:
            spec = entry.error
            code = spec["code"] or (504 if spec["timeout"] else 502)
            reason = "timed out" if spec["timeout"] else f"answered {spec['status']}"
            return self._raise(
                DependencyError(
                    f"{self.name} failed: {reason} ({verb}, fake)",
                    code=code,
                    dependency=self.name,
                    status=spec["status"],
                    body=spec["body"],
                    details={"dependency": self.name, "status": spec["status"], "attempts": 1},
                )
            )
        value = entry.value if entry is not None else None
        if raw:
            return _raw_response(value)
        target = into if into is not None else self.response_type
        if target is not None and value is not None:
            return codec.structure(codec.loads(codec.dumps(value)), target)
        return value


def _raw_response(value: Any) -> Any:
    import requests  # only a test that asks for a raw response pays for it

    response = requests.Response()
    response.status_code = 200
    if value is None:
        response._content = b""
    elif isinstance(value, bytes):
        response._content = value
    elif isinstance(value, str):
        response._content = value.encode("utf-8")
    else:
        response._content = codec.dumps(value).encode("utf-8")
        response.headers["Content-Type"] = _JSON
    return response


class FakeLambdaFunction(_Fake):
    """A recording stand-in for a :class:`~pypwext.LambdaFunction` dependency:
    ``Service(billing=FakeLambdaFunction())``. ``invoke``, ``invoke_async`` and ``dry_run`` are
    recorded in :attr:`calls`; ``invoke`` answers from the script:

    * ``answer(value, when=None, times=None)``: ``invoke`` returns ``value`` (structured into
      ``into=`` or ``response_type``);
    * ``fail(error, kind=None, ...)``: raise ``error`` -- a :class:`~pypwext.ServiceError` such as
      ``NotFound("no such customer")``, what the real client raises when a pypwext callee
      answered with that error; or a string, the remote ``errorMessage`` of an unhandled
      exception, raised as a 502 :class:`~pypwext.DependencyError`. ``kind`` limits it to
      ``"RequestResponse"`` or ``"Event"`` calls.

    >>> billing = FakeLambdaFunction("billing").answer({"invoice": 12})
    >>> billing.invoke({"order": 7}), billing.invoke_async({"order": 8})
    ({'invoice': 12}, None)
    >>> [(c.kind, c.json) for c in billing.calls]
    [('RequestResponse', {'order': 7}), ('Event', {'order': 8})]
    """

    def __init__(
        self,
        name: str = "fake-function",
        *,
        response_type: Any = None,
        on_error: Any = None,
        default: Any = None,
    ) -> None:
        super().__init__(name, on_error, default)
        self.response_type = response_type
        self.calls: list[LambdaCall] = []
        """Every call, in order."""

    def answer(
        self, value: Any = None, *, when: Mapping[str, Any] | None = None, times: int | None = None
    ) -> FakeLambdaFunction:
        """``invoke`` returns ``value`` for the matching calls; returns the fake."""
        result: FakeLambdaFunction = self._add(value, None, "RequestResponse", when, times)
        return result

    def fail(
        self,
        error: Any = "Unhandled",
        *,
        kind: str | None = None,
        when: Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> FakeLambdaFunction:
        """Raise ``error`` on the matching calls; returns the fake."""
        result: FakeLambdaFunction = self._add(None, error, kind, when, times)
        return result

    @property
    def last(self) -> LambdaCall:
        """The most recent call (``AssertionError`` when there was none)."""
        assert self.calls, f"{self.name} was never called"
        return self.calls[-1]

    def _record(self, kind: str, payload: Any, client_context: Any, params: Mapping[str, Any]) -> Any:
        from pypwext.errors import DependencyError, ServiceError

        self.calls.append(
            LambdaCall(
                kind, payload, dict(params), dict(client_context) if client_context is not None else None
            )
        )
        entry = self._next(kind, {**params, "payload": payload})
        if entry is not None and entry.error is not None:
            error = entry.error
            if not isinstance(error, ServiceError):
                error = DependencyError(
                    f"{self.name} failed: {error}",
                    dependency=self.name,
                    details={"dependency": self.name, "errorMessage": str(error)},
                )
            return self._raise(error)
        return entry

    def invoke(
        self, payload: Any = None, *, into: Any = None, client_context: Any = None, **params: Any
    ) -> Any:
        """Record a synchronous invoke and answer from the script (``None`` when nothing matches)."""
        entry = self._record("RequestResponse", payload, client_context, params)
        if not isinstance(entry, _Script):
            return entry if entry is not None else None
        target = into if into is not None else self.response_type
        if target is not None and entry.value is not None:
            return codec.structure(codec.loads(codec.dumps(entry.value)), target)
        return entry.value

    def invoke_async(self, payload: Any = None, *, client_context: Any = None, **params: Any) -> None:
        """Record an asynchronous invoke (``Event``)."""
        self._record("Event", payload, client_context, params)

    def dry_run(self, **params: Any) -> None:
        """Record a ``DryRun``."""
        self._record("DryRun", None, None, params)
