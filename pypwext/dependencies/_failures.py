"""What went wrong in one attempt of an :class:`~pypwext.dependencies.http.Http` call.

A failure has two texts: ``reason``, pypwext's own words, which the error (and so the client's
answer) may carry; and ``detail``, what the library said, for the log only, with the call's URL
masked. Imported only when a call is made (it imports ``requests`` and ``urllib3`` lazily).
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from pypwext.dependencies._url import _origin

if TYPE_CHECKING:
    import requests

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Failure:
    """What went wrong in one attempt: ``reason`` in pypwext's words (it may reach the client),
    ``detail`` what the library said, for the log only (URLs in it masked)."""

    def __init__(
        self,
        reason: str,
        *,
        detail: str | None = None,
        status: int | None = None,
        body: bytes | None = None,
        timed_out: bool = False,
        retry_after: float | None = None,
        sent: bool = True,
        retryable: bool = True,
    ) -> None:
        self.reason = reason
        self.detail = detail
        self.status = status
        self.body = body
        self.timed_out = timed_out
        self.retry_after = retry_after
        self.sent = sent  # False: the request never reached the server (safe to resend)
        self.retryable = retryable  # False: trying again cannot help (a bad URL, a TLS failure)

    def logged(self, reason: str) -> str:
        """``reason`` with the library's detail, for the log."""
        return reason if self.detail is None else f"{reason} [{self.detail}]"


def _details(name: str, status: int | None, attempts: int) -> dict[str, Any]:
    return {"dependency": name, "status": status, "attempts": attempts}


def _status_failure(response: requests.Response, url: str) -> _Failure:
    status = response.status_code
    detail = None
    if status in _REDIRECTS:
        location = response.headers.get("Location")
        if not location:
            detail = "a redirect without a Location"
        elif _origin(urljoin(url, location.strip())) != _origin(url):
            detail = "a redirect to another origin, never followed"
        else:
            detail = "a redirect, not followed (follow_redirects is off, or the redirects ran out)"
    return _Failure(
        f"it answered {status}",
        detail=detail,
        status=status,
        body=response.content,
        retry_after=_retry_after(response.headers.get("Retry-After")),
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from now that a ``Retry-After`` header asks for (a number or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _exception_failure(exc: Exception, url: str) -> _Failure | None:
    """The failure an exception of ``requests`` (or of the deadline) stands for; ``None`` for
    anything else. The reason is pypwext's; the library's words go to ``detail``, for the log."""
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import NewConnectionError, ReadTimeoutError

    detail = _masked(f"{type(exc).__name__}: {exc}", url)
    if isinstance(exc, requests.exceptions.SSLError):
        return _Failure("TLS failed", detail=detail, retryable=False)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _Failure("it did not accept the connection in time", detail=detail, timed_out=True, sent=False)
    if isinstance(exc, (requests.exceptions.Timeout, ReadTimeoutError, TimeoutError)):
        return _Failure("it did not answer in time", detail=detail, timed_out=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        never_sent = _caused_by(exc, NewConnectionError)
        what = "the connection failed" if never_sent else "the connection broke"
        return _Failure(what, detail=detail, sent=not never_sent)
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, Urllib3Error)):
        return _Failure("the connection broke while the answer arrived", detail=detail)
    if isinstance(exc, requests.exceptions.RequestException):
        return _Failure("the request could not be made", detail=detail, sent=False, retryable=False)
    return None


def _masked(text: str, url: str) -> str:
    """``text`` with the URL of the call, and its path and query, masked: they may hold
    personal data or credentials; the log names the template instead."""
    parts = urlsplit(url)
    for piece in sorted({url, parts.path + ("?" + parts.query if parts.query else ""), parts.query}, key=len)[
        ::-1
    ]:
        if len(piece) > 1:
            text = text.replace(piece, "<url>")
    return text[:500]


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        if isinstance(current, BaseException):
            stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
            stack.extend(a for a in current.args if isinstance(a, BaseException))
    return False
