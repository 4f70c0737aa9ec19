"""The options of :class:`~pypwext.dependencies.http.Http`: its defaults and limits, and the
checks a declaration's (and a call's) arguments pass -- a mistake fails at import, a client's
header with a line break is a 400.

Re-exported by :mod:`pypwext.dependencies.http`, where users import them from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pypwext._headers import has_control, is_token
from pypwext.errors import BadRequest

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
]

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
_CHUNK = 65536


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
        if not is_token(name):
            raise _header_error(error, where, name, "is not a valid header name")
        if has_control(value):
            raise _header_error(error, where, name, "holds a line break or a control character")
        checked[name] = value
    return checked


def _header_error(error: Any, where: str, name: str, why: str) -> Exception:
    if error is BadRequest:
        return BadRequest.invalid(
            "invalid request", (f"headers.{name}" if is_token(name) else "headers", why)
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
