"""The client of an :class:`~pypwext.dependencies.http.Http` dependency: the request it builds,
the retry loop within the invocation's deadline, redirects (same origin only), the answer or
the :class:`~pypwext.errors.DependencyError`, and the log lines that say what the error leaves out.

Re-exported by :mod:`pypwext.dependencies.http` (``from pypwext.dependencies.http import
HttpClient``). Nothing heavy is imported here: ``requests`` comes with the transport.
"""

from __future__ import annotations

import logging as _stdlib_logging
import os
import random
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin, urlsplit

from pypwext import codec
from pypwext.dependencies._failures import (
    _REDIRECTS,
    _details,
    _exception_failure,
    _Failure,
    _status_failure,
)
from pypwext.dependencies._http_options import (
    _AUTH_MODES,
    _CHUNK,
    _JSON_TYPE,
    CORRELATION_HEADER,
    IDEMPOTENT_METHODS,
    MIN_ATTEMPT_S,
    _check_headers,
    _check_method,
)
from pypwext.dependencies._http_verbs import HttpVerbs
from pypwext.dependencies._url import _encode_query, _origin, aws_endpoint
from pypwext.errors import BadRequest, DependencyError, collect_or_raise
from pypwext.observability._context import current_invocation
from pypwext.observability.tracing import trace_call
from pypwext.runtime._dependency import log, log_enabled, remaining_budget_s

if TYPE_CHECKING:
    import requests

    from pypwext.dependencies.http import Http

__all__ = ["HttpClient"]

T = TypeVar("T")


class HttpClient(HttpVerbs[T]):
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
        collect_or_raise(err, self.dependency.on_error)
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
    from pypwext._sigv4 import SigV4

    return SigV4(region, service, name)
