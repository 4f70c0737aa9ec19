"""The base of every dependency descriptor.

A dependency is declared on a service class (``inventory = Http(...)``). Reading it on an
instance gives the client, which the descriptor builds on first use and keeps for the life of
the container; ``Service(inventory=fake)`` puts a replacement in that instance's ``__dict__``,
where Python finds it before the descriptor (a non-data descriptor), so tests need no patching.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pypwext.observability._context import current_invocation
from pypwext.observability.logging import ServiceLogger, current_logger

if TYPE_CHECKING:
    import logging

ClientT = TypeVar("ClientT")

__all__ = [
    "DEFAULT_SAFETY_MARGIN_S",
    "Dependency",
    "library_words",
    "log",
    "log_enabled",
    "remaining_budget_s",
]


class Dependency(Generic[ClientT]):
    """Base class of dependency descriptors; subclasses implement :meth:`build`.

    >>> class Clock(Dependency[float]):
    ...     def build(self) -> float:
    ...         return 42.0
    >>> class S:
    ...     now = Clock()
    >>> S().now
    42.0
    """

    name: str = ""

    def __init__(self) -> None:
        self._client: ClientT | None = None
        self._lock = threading.Lock()

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Dependency[ClientT]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> ClientT: ...

    def __get__(self, instance: object | None, owner: type) -> Dependency[ClientT] | ClientT:
        if instance is None:
            return self
        return self.client()

    def client(self) -> ClientT:
        """The client, built once per container (thread-safe)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self.build()
        return self._client

    def build(self) -> ClientT:
        """Build the costly client. Called at most once per container."""
        raise NotImplementedError(f"{type(self).__name__} must implement build()")

    def describe(self) -> dict[str, Any]:
        """What the dependency is, for logs and generated templates."""
        return {"name": self.name, "kind": type(self).__name__}

    def iam_actions(self) -> list[tuple[str, str]]:
        """The IAM permissions the dependency needs, as ``(action, resource)`` pairs for a
        generated template; ``[]`` when it needs none. Resources may hold ``${AWS::Region}``-style
        substitutions and the ``{UPPERCASE}`` placeholders of the dependency's templates."""
        return []


DEFAULT_SAFETY_MARGIN_S = 0.5
"""Time kept back from the invocation's remaining time so that the service can still answer."""


def remaining_budget_s(margin_s: float = DEFAULT_SAFETY_MARGIN_S) -> float | None:
    """Seconds a dependency call (retries and backoff included) may still take in the current
    invocation: the Lambda's remaining time less ``margin_s``; ``None`` outside an invocation or
    without a Lambda context (no deadline is known).

    >>> remaining_budget_s() is None   # outside an invocation
    True
    """
    invocation = current_invocation()
    if invocation is None:
        return None
    remaining = invocation.remaining_ms()
    if remaining is None:
        return None
    return remaining / 1000.0 - margin_s


def _fallback() -> logging.Logger:
    """The standard logger ``pypwext.dependencies``: where a dependency logs outside any
    service's invocation (a script, a test). The ``logging`` module is imported then, not on a
    cold start."""
    import logging

    return logging.getLogger("pypwext.dependencies")


def _logger() -> ServiceLogger | None:
    invocation = current_invocation()
    return invocation.logger if invocation is not None else current_logger()


def log_enabled(level: int) -> bool:
    """Whether a dependency's line at ``level`` would be written (check before building it)."""
    service_logger = _logger()
    return service_logger.is_enabled(level) if service_logger is not None else _fallback().isEnabledFor(level)


def log(level: int, message: str, fields: Mapping[str, Any]) -> None:
    """One log line of a dependency, through the invocation's logger (its format, its level,
    its masking, its classification for the ``reason`` field), else the standard logger
    ``pypwext.dependencies``. This is where the details
    a client's answer leaves out (URLs, function names, a library's words) are written."""
    service_logger = _logger()
    if service_logger is not None:
        # the facts (name, method, URL template, status, attempt) carry no data; ``reason`` (a
        # library's or the callee's words) may quote some: redacted by the service's classification
        facts = {key: value for key, value in fields.items() if key != "reason"}
        text = {"reason": fields["reason"]} if "reason" in fields else None
        service_logger.call(level, message, facts, text)
    else:
        _fallback().log(level, message, extra=dict(fields))


def library_words(exc: BaseException) -> str:
    """What a library said (its exception's class and message, at most 500 characters), for the
    ``reason`` of a dependency's log line only: never for an answer."""
    return f"{type(exc).__name__}: {exc}"[:500]
