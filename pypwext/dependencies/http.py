"""HTTP APIs as dependencies: ``inventory = Http("https://{INVENTORY_HOST}/v1/items/{item_id}")``.

Reading the attribute on a service instance gives an :class:`HttpClient`, bound to one
``requests.Session`` with a pooled connection adapter that the descriptor builds on first use and
keeps for the life of the container. The client fills the URL template, sends JSON bodies
through :mod:`pypwext.codec`, retries what is safe to retry with exponential backoff and full
jitter, never waits past the invocation's deadline (wall-clock: every socket read and send
checks it), follows redirects only when asked and only to the same origin, signs AWS endpoints
with botocore's SigV4 signer, sends the invocation's correlation id downstream and turns a
failed answer into a :class:`~pypwext.errors.DependencyError` whose message names no URL and
no library (the log has those).

Nothing heavy is imported here: ``requests``, ``urllib3`` and ``botocore`` are imported the
first time a call needs them.
"""

from __future__ import annotations

import logging as _stdlib_logging
import os
import random
import re
import threading
import time
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload
from urllib.parse import urljoin, urlsplit

from pypwext import codec
from pypwext.base import ErrorAction
from pypwext.context import current_invocation
from pypwext.dependencies._failures import (
    _REDIRECTS,
    _details,
    _exception_failure,
    _Failure,
    _status_failure,
)
from pypwext.dependencies._url import (
    _PLACEHOLDER,
    UrlTemplate,
    _encode_query,
    _origin,
    aws_endpoint,
)
from pypwext.dependencies.base import (
    DEFAULT_SAFETY_MARGIN_S,
    Dependency,
    log,
    log_enabled,
    remaining_budget_s,
)
from pypwext.errors import BadRequest, DependencyError, current_collector
from pypwext.tracing import trace_call

if TYPE_CHECKING:
    import requests

__all__ = [
    "CORRELATION_HEADER",
    "DEFAULT_BACKOFF_MAX_S",
    "DEFAULT_BACKOFF_S",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_RETRIES",
    "DEFAULT_RETRY_AFTER_MAX_S",
    "DEFAULT_RETRY_ON",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "MIN_ATTEMPT_S",
    "Http",
    "HttpClient",
    "UrlTemplate",
    "aws_endpoint",
]

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
"""``(connect, read)`` seconds of one attempt; their sum is the attempt's wall-clock budget
(connect, send, headers, body, redirects), itself capped by what is left before the deadline."""

DEFAULT_RETRIES = 2
"""Retries after the first attempt: 3 attempts at most."""

DEFAULT_BACKOFF_S = 0.2
"""Base of the exponential backoff: before retry *n* the client sleeps a random time between 0
and ``min(backoff_max, backoff * 2 ** (n - 1))`` (full jitter)."""

DEFAULT_BACKOFF_MAX_S = 2.0
"""Cap of one backoff sleep."""

DEFAULT_RETRY_AFTER_MAX_S = 5.0
"""The longest ``Retry-After`` the client waits for; a longer one ends the retries."""

DEFAULT_RETRY_ON: frozenset[int] = frozenset({429, 500, 502, 503, 504})
"""Statuses retried by default (beside connection errors and timeouts)."""

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""Methods retried by default; POST and PATCH only with ``retry_post=True``."""

MIN_ATTEMPT_S = 0.1
"""An attempt is not started with less time than this left before the deadline."""

CORRELATION_HEADER = "X-Correlation-Id"
"""The header that carries the invocation's correlation id downstream."""

DEFAULT_MAX_REDIRECTS = 5
"""Redirects followed by ``follow_redirects=True`` (same origin only); ``MAX_REDIRECTS`` at most."""

MAX_REDIRECTS = 10
"""The most redirects a declaration may ask to follow."""


_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE"})
_AUTH_MODES = frozenset({"auto", "sigv4"})
_JSON_TYPE = "application/json"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")  # an HTTP header name (RFC 9110 token)
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # CR, LF and other controls; a tab may be
_CHUNK = 65536


# --- the descriptor -------------------------------------------------------------------------


class Http(Dependency["HttpClient[T]"], Generic[T]):
    """An HTTP API a service calls, declared as a class attribute.

    ``self.inventory.get(item_id=7)`` fills the template, sends the request and returns the
    answer: structured into ``response_type`` when given, else the parsed JSON (``None`` for an
    empty body). See ``docs/dependencies/http.md`` for the defaults and the rules.

    >>> import attrs
    >>> @attrs.frozen
    ... class Item:
    ...     id: int
    ...     stock: int
    >>> inventory = Http("https://{INVENTORY_HOST}/v1/items/{item_id}", response_type=Item)
    >>> inventory.describe()["method"]
    'GET'

    Arguments:

    ``url_template``
        ``{name}`` placeholders filled per call (``item_id=7``) or, UPPERCASE ones, from the
        environment (``{STAGE}``, ``{AWS_REGION}``).
    ``method``
        The method of :meth:`HttpClient.call` (``get``, ``post``... choose their own).
    ``timeout``
        Seconds per attempt: one number for both, or ``(connect, read)``.
    ``retries``, ``backoff``, ``backoff_max``, ``retry_after_max``
        How many times to retry, and how long to wait in between (see the defaults).
    ``retry_on``
        The statuses retried (connection errors and timeouts always are, when retrying is safe).
    ``retry_post``
        Retry POST and PATCH too: declare it only when the remote de-duplicates.
    ``auth``
        ``"auto"`` (SigV4 for execute-api and Lambda function URL hosts), ``"sigv4"`` (always),
        ``None`` (never), or a ``requests`` auth object used as is.
    ``region``, ``aws_service``
        What to sign for when the URL does not tell (default: ``AWS_REGION``, ``execute-api``).
    ``response_type``
        The type answers are structured into (a per-call ``into=`` wins).
    ``headers``
        Headers sent with every call.
    ``on_error``, ``default``
        ``ErrorAction.RAISE`` raises the :class:`~pypwext.errors.DependencyError`;
        ``ErrorAction.CONTINUE`` collects it into the invocation's errors and returns ``default``.
    ``status_map``
        Remote status -> the code the error carries (``{404: 404}`` answers a remote 404 as a
        404 instead of 502).
    ``margin_s``
        Time kept back from the Lambda's remaining time for the service to answer.
    ``pool_size``
        Connections kept per host (match your fan-out's ``max_workers``).
    ``follow_redirects``
        ``False`` (a 3xx answer is a failure, ``raw=True`` returns it); ``True`` follows up to
        ``DEFAULT_MAX_REDIRECTS`` redirects, an int that many, to the same origin only.
    """

    @overload
    def __init__(
        self: Http[Any],
        url_template: str,
        method: str = "GET",
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        backoff_max: float = DEFAULT_BACKOFF_MAX_S,
        retry_after_max: float = DEFAULT_RETRY_AFTER_MAX_S,
        retry_on: Collection[int] = DEFAULT_RETRY_ON,
        retry_post: bool = False,
        auth: Any = "auto",
        region: str | None = None,
        aws_service: str | None = None,
        response_type: None = None,
        headers: Mapping[str, str] | None = None,
        on_error: ErrorAction = ErrorAction.RAISE,
        default: Any = None,
        status_map: Mapping[int, int] | None = None,
        margin_s: float = DEFAULT_SAFETY_MARGIN_S,
        pool_size: int = 10,
        follow_redirects: bool | int = False,
    ) -> None: ...

    @overload
    def __init__(
        self: Http[T],
        url_template: str,
        method: str = "GET",
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        backoff_max: float = DEFAULT_BACKOFF_MAX_S,
        retry_after_max: float = DEFAULT_RETRY_AFTER_MAX_S,
        retry_on: Collection[int] = DEFAULT_RETRY_ON,
        retry_post: bool = False,
        auth: Any = "auto",
        region: str | None = None,
        aws_service: str | None = None,
        response_type: type[T],
        headers: Mapping[str, str] | None = None,
        on_error: ErrorAction = ErrorAction.RAISE,
        default: Any = None,
        status_map: Mapping[int, int] | None = None,
        margin_s: float = DEFAULT_SAFETY_MARGIN_S,
        pool_size: int = 10,
        follow_redirects: bool | int = False,
    ) -> None: ...

    def __init__(
        self,
        url_template: str,
        method: str = "GET",
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        backoff_max: float = DEFAULT_BACKOFF_MAX_S,
        retry_after_max: float = DEFAULT_RETRY_AFTER_MAX_S,
        retry_on: Collection[int] = DEFAULT_RETRY_ON,
        retry_post: bool = False,
        auth: Any = "auto",
        region: str | None = None,
        aws_service: str | None = None,
        response_type: type[T] | None = None,
        headers: Mapping[str, str] | None = None,
        on_error: ErrorAction = ErrorAction.RAISE,
        default: Any = None,
        status_map: Mapping[int, int] | None = None,
        margin_s: float = DEFAULT_SAFETY_MARGIN_S,
        pool_size: int = 10,
        follow_redirects: bool | int = False,
    ) -> None:
        super().__init__()
        where = f"Http({url_template!r})"
        self.template = UrlTemplate(url_template)
        self.method = _check_method(method, where)
        self.timeout = _check_timeout(timeout, where)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(
                f"{where}: retries must be an int >= 0 (retries after the first attempt), got {retries!r}"
            )
        self.retries = retries
        for label, value in (
            ("backoff", backoff),
            ("backoff_max", backoff_max),
            ("retry_after_max", retry_after_max),
            ("margin_s", margin_s),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{where}: {label} must be a number of seconds >= 0, got {value!r}")
        self.backoff = float(backoff)
        self.backoff_max = float(backoff_max)
        self.retry_after_max = float(retry_after_max)
        self.margin_s = float(margin_s)
        self.retry_on = frozenset(_check_statuses(retry_on, where, "retry_on"))
        self.retry_post = bool(retry_post)
        self.auth = _check_auth(auth, where)
        self.region = region
        self.aws_service = aws_service
        self.response_type = response_type
        self.headers = _check_headers(headers or {}, ValueError, where)
        self.on_error = ErrorAction(on_error)
        self.default = default
        self.status_map = dict(status_map or {})
        for remote, code in self.status_map.items():
            _check_statuses([remote], where, "status_map")
            if not isinstance(code, int) or not 400 <= code <= 599:
                raise ValueError(f"{where}: status_map maps to error codes (400-599), got {remote}: {code!r}")
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ValueError(f"{where}: pool_size must be an int >= 1, got {pool_size!r}")
        self.pool_size = pool_size
        if follow_redirects is True:
            follow_redirects = DEFAULT_MAX_REDIRECTS
        if not isinstance(follow_redirects, int) or not 0 <= follow_redirects <= MAX_REDIRECTS:
            raise ValueError(
                f"{where}: follow_redirects takes True, False or a count 0-{MAX_REDIRECTS}, got {follow_redirects!r}"
            )
        self.max_redirects = int(follow_redirects)

    def build(self) -> HttpClient[T]:
        """A ``requests.Session`` with a pooled adapter (no urllib3 retries: the client retries
        itself, within the deadline) and no cookie jar shared between invocations."""
        import http.cookiejar

        from pypwext.dependencies._transport import DeadlineAdapter, Session

        session = Session()  # redirects are followed by the client, same origin only
        adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=self.pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        return HttpClient(self, session)

    def describe(self) -> dict[str, Any]:
        """Name, kind, method and URL template (never a filled URL)."""
        return {**super().describe(), "method": self.method, "url": self.template.template}

    def iam_actions(self) -> list[tuple[str, str]]:
        """``execute-api:Invoke`` for a signed API Gateway URL, ``lambda:InvokeFunctionUrl`` for a
        signed function URL, nothing for an unsigned one.

        >>> Http("https://{API_ID}.execute-api.{AWS_REGION}.amazonaws.com/{STAGE}/x").iam_actions()
        [('execute-api:Invoke', 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:{API_ID}/*')]
        """
        if self.auth not in ("auto", "sigv4"):
            return []
        host = self.template.host_pattern()
        service, region, api_id = self.aws_service, self.region, "*"
        if host is not None:
            marked = _PLACEHOLDER.sub(lambda m: f"\x00{m.group(1)}\x01", host)
            detected = re.match(
                r"([^.]+)\.(execute-api|lambda-url)\.([^.]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws)\Z", marked
            )
            if detected:
                api_id = _arn_part(detected.group(1))
                service = service or ("execute-api" if detected.group(2) == "execute-api" else "lambda")
                region = region or _arn_part(detected.group(3))
            elif self.auth == "auto":
                return []
        elif self.auth == "auto":
            return []
        service = service or "execute-api"
        region = region or "${AWS::Region}"
        if service == "lambda":
            return [
                (
                    "lambda:InvokeFunctionUrl",
                    f"arn:${{AWS::Partition}}:lambda:{region}:${{AWS::AccountId}}:function:*",
                )
            ]
        if service == "execute-api":
            return [
                (
                    "execute-api:Invoke",
                    f"arn:${{AWS::Partition}}:execute-api:{region}:${{AWS::AccountId}}:{api_id}/*",
                )
            ]
        return [(f"{service}:*", "*")]

    def __repr__(self) -> str:
        return f"Http({self.template.template!r}, method={self.method!r})"


def _arn_part(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "AWS_REGION":
            return "${AWS::Region}"
        return f"{{{name}}}" if name.isupper() else "*"

    return re.sub("\x00([^\x01]*)\x01", one, text)


def _check_method(method: str, where: str) -> str:
    upper = method.upper() if isinstance(method, str) else ""
    if upper not in _METHODS:
        raise ValueError(f"{where}: method must be one of {', '.join(sorted(_METHODS))}, got {method!r}")
    return upper


def _check_timeout(timeout: Any, where: str) -> tuple[float, float]:
    values = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if len(values) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in values
    ):
        raise ValueError(f"{where}: timeout must be seconds > 0, or (connect, read), got {timeout!r}")
    return float(values[0]), float(values[1])


def _check_headers(headers: Mapping[str, Any], error: Any, where: str) -> dict[str, str]:
    """``headers`` as ``str`` pairs; a name that is not an HTTP token, or a value with a line
    break or another control character (header injection), raises ``error``."""
    checked: dict[str, str] = {}
    for name, value in headers.items():
        name, value = str(name), str(value)
        if not _TOKEN.match(name):
            raise _header_error(error, where, name, "is not a valid header name")
        if _BAD_VALUE.search(value):
            raise _header_error(error, where, name, "holds a line break or a control character")
        checked[name] = value
    return checked


def _header_error(error: Any, where: str, name: str, why: str) -> Exception:
    if error is BadRequest:
        return BadRequest.invalid(
            "invalid request", (f"headers.{name}" if _TOKEN.match(name) else "headers", why)
        )
    return ValueError(f"{where}: the header {name!r} {why}")


def _check_statuses(statuses: Any, where: str, label: str) -> list[int]:
    found = list(statuses) if isinstance(statuses, Collection) and not isinstance(statuses, str) else None
    if found is None or any(
        isinstance(s, bool) or not isinstance(s, int) or not 100 <= s <= 599 for s in found
    ):
        raise ValueError(f"{where}: {label} takes HTTP statuses (ints 100-599), got {statuses!r}")
    return found


def _check_auth(auth: Any, where: str) -> Any:
    if auth is None or auth is False:
        return None
    if auth is True:
        return "sigv4"
    if isinstance(auth, str):
        if auth not in _AUTH_MODES:
            raise ValueError(
                f"{where}: auth takes 'auto', 'sigv4', None or a requests auth object, got {auth!r}"
            )
        return auth
    if callable(auth) or (isinstance(auth, tuple) and len(auth) == 2):
        return auth
    raise ValueError(f"{where}: auth takes 'auto', 'sigv4', None or a requests auth object, got {auth!r}")


# --- the bound client -----------------------------------------------------------------------


class HttpClient(Generic[T]):
    """The client of one :class:`Http` dependency (``self.inventory`` in a service).

    Keyword arguments fill the URL template; those the template does not use are sent as query
    parameters. ``query=`` gives query parameters explicitly (values may be lists), ``headers=``
    adds headers to this call.

    The client is shared by every invocation of the container and is thread-safe: run calls in
    parallel with :func:`pypwext.dependencies.fanout.fan_out`.
    """

    def __init__(self, dependency: Http[T], session: requests.Session) -> None:
        self.dependency = dependency
        self.session = session
        """The ``requests.Session`` (mount adapters on it, for example for a proxy)."""
        self._auth: dict[tuple[str, str], Any] = {}
        self._auth_lock = threading.Lock()

    def get(
        self,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """GET the URL; the answer as the declaration says (``response_type`` or JSON)."""
        return self._request("GET", None, query, headers, None, False, params)  # type: ignore[no-any-return]

    def delete(
        self,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """DELETE the URL."""
        return self._request("DELETE", None, query, headers, None, False, params)  # type: ignore[no-any-return]

    def post(
        self,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """POST ``body`` (an attrs instance, dataclass, dict or list is sent as JSON; ``str`` and
        ``bytes`` as they are). Not retried unless the declaration says ``retry_post=True``."""
        return self._request("POST", body, query, headers, None, False, params)  # type: ignore[no-any-return]

    def put(
        self,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """PUT ``body``."""
        return self._request("PUT", body, query, headers, None, False, params)  # type: ignore[no-any-return]

    def patch(
        self,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """PATCH ``body``. Not retried unless the declaration says ``retry_post=True``."""
        return self._request("PATCH", body, query, headers, None, False, params)  # type: ignore[no-any-return]

    @overload
    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: None = None,
        raw: Literal[False] = False,
        **params: Any,
    ) -> T: ...

    @overload
    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: type[U],
        raw: Literal[False] = False,
        **params: Any,
    ) -> U: ...

    @overload
    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: None = None,
        raw: Literal[True],
        **params: Any,
    ) -> requests.Response: ...

    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: Any = None,
        raw: bool = False,
        **params: Any,
    ) -> Any:
        """Send one request (retries included) and return the answer.

        ``into`` structures the JSON answer into a type (a structuring failure is a
        ``DependencyError`` saying the dependency answered something unexpected); ``raw=True``
        returns the ``requests.Response`` whatever its status. Otherwise the answer is the
        declaration's ``response_type``, or the parsed JSON, or the text of a non-JSON answer,
        or ``None`` for an empty body.
        """
        return self._request(method, body, query, headers, into, raw, params)

    def _request(
        self,
        method: str | None,
        body: Any,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        into: Any,
        raw: bool,
        params: dict[str, Any],
    ) -> Any:
        dep = self.dependency
        verb = _check_method(method, f"{dep.name or 'Http'}.call()") if method is not None else dep.method
        if raw and into is not None:
            raise ValueError(f"{dep.name}: call() takes into= or raw=True, not both")
        url, used = dep.template.fill(params, dep.name or repr(dep))
        leftover = {k: v for k, v in params.items() if k not in used and v is not None}
        if query:
            leftover.update(query)
        if leftover:
            url = f"{url}{'&' if urlsplit(url).query else '?'}{_encode_query(leftover)}"
        data, content_type = _encode_body(body)
        send_headers = {"Accept": _JSON_TYPE, **dep.headers}
        if content_type is not None:
            send_headers["Content-Type"] = content_type
        invocation = current_invocation()
        correlation_id = invocation.correlation_id if invocation is not None else None
        call_headers = {CORRELATION_HEADER: correlation_id} if correlation_id else {}
        call_headers.update(headers or {})
        # values that reach here may come from the client: a line break is a 400, nothing is sent
        send_headers.update(_check_headers(call_headers, BadRequest, dep.name))
        try:
            # a subsegment per call when the invocation is traced (names cannot hold the template's braces)
            with trace_call(
                f"{dep.name} {verb}",
                dependency=dep.name,
                method=verb,
                url=url,
                url_template=dep.template.template,
                headers=send_headers,
            ) as subsegment:
                response = self._send(verb, url, data, send_headers, raw)
                if subsegment is not None:
                    subsegment.put_annotation("status", response.status_code)
                if raw:
                    return response
                return self._answer(verb, response, into if into is not None else dep.response_type)
        except DependencyError as err:
            return self._fail(err)

    # --- sending, with retries within the deadline -------------------------------------------

    def _send(
        self, method: str, url: str, data: bytes | None, headers: dict[str, str], raw: bool
    ) -> requests.Response:
        dep = self.dependency
        auth = self._auth_for(url)
        budget = remaining_budget_s(dep.margin_s)
        deadline = None if budget is None else time.monotonic() + budget
        retry_allowed = method in IDEMPOTENT_METHODS or dep.retry_post
        attempt = 0
        while True:
            attempt += 1
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left < MIN_ATTEMPT_S:
                raise self._deadline_error(method, attempt - 1, None, left)
            connect, read = dep.timeout
            t0 = time.monotonic()
            # one wall-clock limit for the attempt: connect, headers, body and redirects
            attempt_deadline = t0 + connect + read if left is None else t0 + min(connect + read, left)
            response: requests.Response | None = None
            failure: _Failure | None
            try:
                response = self._attempt(method, url, data, headers, auth, connect, read, attempt_deadline)
                failure = None if 200 <= response.status_code < 300 else _status_failure(response, url)
            except Exception as exc:
                failure = _exception_failure(exc, url)
                if failure is None:
                    raise
                if not failure.timed_out and time.monotonic() >= attempt_deadline:
                    failure = _Failure("it did not answer in time", detail=failure.detail, timed_out=True)
            duration_ms = round((time.monotonic() - t0) * 1000, 3)
            status = response.status_code if response is not None else None
            self._log(_stdlib_logging.DEBUG, "http call", method, attempt, duration_ms, status)
            if failure is None:
                assert response is not None
                return response
            if failure.status is not None:
                retryable = failure.status in dep.retry_on and retry_allowed
            else:
                retryable = failure.retryable and (retry_allowed or not failure.sent)
            wait = self._wait(attempt, failure) if retryable and attempt <= dep.retries else None
            if wait is None:
                reason = failure.reason
                if retryable and attempt <= dep.retries and failure.retry_after is not None:
                    reason += f"; it asked to retry after {failure.retry_after:g} s, longer than {dep.retry_after_max:g} s"
                self._log(
                    _stdlib_logging.WARNING,
                    "http call failed",
                    method,
                    attempt,
                    duration_ms,
                    status,
                    failure.logged(reason),
                )
                if raw and response is not None:
                    return response
                raise self._final_error(method, attempt, failure, reason)
            if deadline is not None and time.monotonic() + wait + MIN_ATTEMPT_S > deadline:
                reason = f"{failure.reason}; no time left for another attempt before the Lambda deadline"
                self._log(
                    _stdlib_logging.WARNING,
                    "http call failed",
                    method,
                    attempt,
                    duration_ms,
                    status,
                    failure.logged(reason),
                )
                raise self._deadline_error(method, attempt, failure, deadline - time.monotonic())
            self._log(
                _stdlib_logging.WARNING,
                "http retry",
                method,
                attempt,
                duration_ms,
                status,
                failure.logged(failure.reason),
                wait,
            )
            time.sleep(wait)

    def _attempt(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: dict[str, str],
        auth: Any,
        connect: float,
        read: float,
        deadline: float,
    ) -> requests.Response:
        """One attempt, redirects included, ending by ``deadline`` (``time.monotonic()``).

        Every socket read and send of the request checks the deadline (the transport shortens
        the socket's timeout to what is left), so that a server trickling its headers or its
        body, or a chain of slow redirects, cannot outlive it: ``requests``' own ``timeout``
        bounds each read, not the answer. A redirect is followed only when the declaration
        asks for it, at most ``max_redirects`` times and only to the same origin, so that
        the headers (credentials included) and the body never reach another server.
        """
        from pypwext.dependencies._transport import deadline as within

        hops = 0
        with within(deadline):
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the deadline of the attempt passed")
                response = self.session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    auth=auth,
                    timeout=(min(connect, left), min(read, left)),
                    stream=True,
                    allow_redirects=False,
                )
                self._read_body(response, read, deadline)
                target = self._redirect_target(response, url, hops)
                if target is None:
                    return response
                hops += 1
                url = target
                if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                    method = "GET" if method != "HEAD" else method
                    data = None
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}

    def _read_body(self, response: requests.Response, read: float, deadline: float) -> None:
        """Read the body in chunks (the deadline is checked before each)."""
        try:
            raw = response.raw
            read1 = getattr(raw, "read1", None)
            chunks: list[bytes] = []
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the deadline of the attempt passed")
                _set_read_timeout(raw, min(left, read))
                chunk = (
                    read1(_CHUNK, decode_content=True)
                    if read1 is not None
                    else raw.read(_CHUNK, decode_content=True)
                )
                if not chunk:
                    break
                chunks.append(chunk)
            response._content = b"".join(chunks)
            response._content_consumed = True  # type: ignore[attr-defined]
        except BaseException:
            response.close()
            raise
        raw.release_conn()

    def _redirect_target(self, response: requests.Response, url: str, hops: int) -> str | None:
        """The URL a redirect answer leads to, when the declaration follows it; else ``None``
        (the 3xx is the answer: a failure, or what ``raw=True`` returns)."""
        limit = self.dependency.max_redirects
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECTS or not limit or not location or hops >= limit:
            return None
        target = urljoin(url, location.strip())
        origin = _origin(target)
        return target if origin is not None and origin == _origin(url) else None

    def _wait(self, attempt: int, failure: _Failure) -> float | None:
        """Seconds to sleep before the next attempt; ``None`` when Retry-After asks too much."""
        dep = self.dependency
        if failure.retry_after is not None:
            if failure.retry_after > dep.retry_after_max:
                return None
            return failure.retry_after
        return random.uniform(0.0, min(dep.backoff_max, dep.backoff * 2 ** (attempt - 1)))

    # --- answers and errors -------------------------------------------------------------------

    def _answer(self, method: str, response: requests.Response, into: Any) -> Any:
        content = response.content
        if response.status_code == 204 or not content.strip():
            return None
        media = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        is_json = not media or media == _JSON_TYPE or media.endswith("+json")
        if not is_json:
            if into is None:
                return response.text
            raise self._unexpected(method, response, [f"expected JSON, got {media}"])
        try:
            data = codec.loads(content)
        except ValueError as exc:
            raise self._unexpected(method, response, [f"the body is not JSON ({exc})"]) from None
        if into is None:
            return data
        try:
            return codec.structure(data, into)
        except codec.InputError as exc:
            raise self._unexpected(
                method, response, [f"{p.path or '<body>'}: {p.reason}" for p in exc.problems]
            ) from None

    def _unexpected(self, method: str, response: requests.Response, problems: list[str]) -> DependencyError:
        """The answer did not fit: the problems (which quote the remote's values) go to the
        log, the error says only that (its ``body`` keeps the answer for the service's code)."""
        dep = self.dependency
        msg = f"{dep.name} answered something unexpected"
        self._log(_stdlib_logging.WARNING, msg, method, None, None, response.status_code, "; ".join(problems))
        return DependencyError(
            msg,
            dependency=dep.name,
            status=response.status_code,
            body=response.content,
            details={"dependency": dep.name, "status": response.status_code},
            action=dep.on_error,
            return_value=dep.default,
        )

    def _final_error(self, method: str, attempts: int, failure: _Failure, reason: str) -> DependencyError:
        dep = self.dependency
        if failure.status is not None:
            code = dep.status_map.get(failure.status, 502)
        else:
            code = 504 if failure.timed_out else 502
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        return DependencyError(
            f"{dep.name} failed: {reason} ({method}, {tries})",
            code=code,
            dependency=dep.name,
            status=failure.status,
            body=failure.body,
            details=_details(dep.name, failure.status, attempts),
            action=dep.on_error,
            return_value=dep.default,
        )

    def _deadline_error(
        self, method: str, attempts: int, failure: _Failure | None, left: float
    ) -> DependencyError:
        dep = self.dependency
        if failure is None and attempts == 0:
            msg = (
                f"{dep.name} was not called: only {max(left, 0.0):.2f} s left before the Lambda deadline "
                f"(less its {dep.margin_s:g} s margin)"
            )
            self._log(_stdlib_logging.WARNING, "http call not started", method, None, None, None, msg)
        else:
            last = f"last: {failure.reason}" if failure is not None else "no answer"
            msg = (
                f"{dep.name} gave up after {attempts} attempt{'s' if attempts != 1 else ''}: no time left for "
                f"another before the Lambda deadline ({last})"
            )
        return DependencyError(
            msg,
            code=504,
            dependency=dep.name,
            status=failure.status if failure is not None else None,
            body=failure.body if failure is not None else None,
            details={**_details(dep.name, failure.status if failure else None, attempts), "deadline": True},
            action=dep.on_error,
            return_value=dep.default,
        )

    def _fail(self, err: DependencyError) -> Any:
        if self.dependency.on_error is not ErrorAction.CONTINUE:
            raise err
        invocation = current_invocation()
        collector = invocation.collector if invocation is not None else current_collector()
        if collector is None:  # outside an invocation there is nowhere to collect to
            raise err
        collector.collect(err)
        return self.dependency.default

    # --- signing and logging ------------------------------------------------------------------

    def _auth_for(self, url: str) -> Any:
        dep = self.dependency
        mode = dep.auth
        if mode is None:
            return None
        if mode not in _AUTH_MODES:
            return mode
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        detected = aws_endpoint(host)
        if mode == "auto" and detected is None:
            return None
        service = dep.aws_service or (detected[0] if detected else "execute-api")
        region = (
            dep.region
            or (detected[1] if detected else None)
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
        )
        if not region:
            raise ValueError(
                f"{dep.name}: cannot sign the call to {host} with SigV4: no region "
                "(declare region=... or set AWS_REGION)"
            )
        key = (region, service)
        with self._auth_lock:
            signer = self._auth.get(key)
            if signer is None:
                signer = self._auth[key] = _sigv4(region, service, dep.name)
        return signer

    def _log(
        self,
        level: int,
        message: str,
        method: str,
        attempt: int | None,
        duration_ms: float | None,
        status: int | None,
        reason: str | None = None,
        wait_s: float | None = None,
    ) -> None:
        if not log_enabled(level):
            return
        fields: dict[str, Any] = {
            "dependency": self.dependency.name,
            "method": method,
            "url": self.dependency.template.template,
            "status": status,
            "attempt": attempt,
            "duration_ms": duration_ms,
        }
        if reason is not None:
            fields["reason"] = reason
        if wait_s is not None:
            fields["wait_s"] = round(wait_s, 3)
        log(level, message, fields)

    def __repr__(self) -> str:
        return f"<HttpClient of {self.dependency!r}>"


def _set_read_timeout(raw: Any, seconds: float) -> None:
    """Bound the next socket read of a streamed answer (urllib3 keeps the connection's socket)."""
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.settimeout(max(seconds, 0.001))
        except OSError:
            pass


def _encode_body(body: Any) -> tuple[bytes | None, str | None]:
    if body is None:
        return None, None
    if isinstance(body, (bytes, bytearray)):
        return bytes(body), None
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    return codec.dumps(body).encode("utf-8"), _JSON_TYPE


def _sigv4(region: str, service: str, name: str) -> Any:
    """A requests auth that signs with botocore's SigV4 signer and the boto chain's credentials."""
    from pypwext.dependencies._sigv4 import SigV4

    return SigV4(region, service, name)
