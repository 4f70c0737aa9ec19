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

This module holds the descriptor; every name is imported from here. The parts live beside it:
the defaults, limits and argument checks in ``_http_options``, the client's call surface
(``get``... ``call``) in ``_http_verbs``, the client and its retry loop in ``_http_client``, the
URL template in ``_url``, the failures of one attempt in ``_failures``, the deadline-bound
transport in ``_transport``, SigV4 in ``_sigv4``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, Generic, TypeVar, overload

from pypwext import _placeholders
from pypwext.base import ErrorAction
from pypwext.dependencies._http_client import HttpClient
from pypwext.dependencies._http_options import (
    CORRELATION_HEADER,
    DEFAULT_BACKOFF_MAX_S,
    DEFAULT_BACKOFF_S,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_AFTER_MAX_S,
    DEFAULT_RETRY_ON,
    DEFAULT_TIMEOUT,
    IDEMPOTENT_METHODS,
    MAX_REDIRECTS,
    MIN_ATTEMPT_S,
    _check_auth,
    _check_headers,
    _check_method,
    _check_statuses,
    _check_timeout,
)
from pypwext.dependencies._url import UrlTemplate, aws_endpoint
from pypwext.runtime._dependency import DEFAULT_SAFETY_MARGIN_S, Dependency

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
    "MAX_REDIRECTS",
    "MIN_ATTEMPT_S",
    "Http",
    "HttpClient",
    "UrlTemplate",
    "aws_endpoint",
]

T = TypeVar("T")


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
            marked = _placeholders.substitute(host, lambda name: f"\x00{name}\x01")
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
        return f"{{{name}}}" if _placeholders.from_environment(name) else "*"

    return re.sub("\x00([^\x01]*)\x01", one, text)
