"""boto3 clients whose timeouts fit the time the invocation has left.

A botocore client's timeouts and retries are fixed when it is built, and a call cannot shorten
them. What calls an AWS API during an invocation (``LambdaFunction``, ``Parameter``, ``Secret``,
the ``Idempotency`` store) has a client with declared timeouts, and near the Lambda's deadline a
call with those could outlive the invocation: Lambda would end it without an answer. So each
call starts with :func:`fit_timeouts`, and :class:`FittedClients` hands out a client built for
what it says; :class:`FittedClient` does it for a library that is handed one boto3 client (the
Powertools parameter providers and idempotency store). The cut timeouts are rounded down to
coarse steps, so that only a few clients are ever built.

The rule, in one place: with ``budget`` seconds left (see
:func:`pypwext.runtime._dependency.remaining_budget_s`), the declared timeouts and attempts stand
when the longest such a call can take fits (:func:`worst_case_s`: every attempt's connect and
read, and botocore's pauses between them); otherwise the call makes one attempt, whose connect
timeout is at most a quarter of the budget and whose read timeout is what is left (each at
least 0.1 s, and no longer than declared).

>>> fit_timeouts(1.0, 2.0, 2, None)     # outside an invocation: as declared
(1.0, 2.0, 2)
>>> fit_timeouts(1.0, 2.0, 2, 20.0)     # time enough for both attempts and the pause
(1.0, 2.0, 2)
>>> fit_timeouts(1.0, 2.0, 2, 5.0)      # not for two: one attempt, as declared
(1.0, 2.0, 1)
>>> fit_timeouts(1.0, 2.0, 2, 1.5)      # not for one: cut (down to steps of 0.1 and 0.25 s)
(0.3, 1.0, 1)
>>> fit_timeouts(2.0, 30.0, 1, 1.1)
(0.2, 0.9, 1)

Imports nothing of pypwext's but the deadline budget and the trace carried to a thread;
botocore is imported when a client's configuration is first built (:func:`client_config`).
"""

from __future__ import annotations

import collections
import contextvars
import math
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from pypwext.observability import tracing
from pypwext.runtime._dependency import remaining_budget_s

__all__ = [
    "FittedClient",
    "FittedClients",
    "client_config",
    "fit_timeouts",
    "round_down",
    "within",
    "worst_case_s",
]

C = TypeVar("C")
R = TypeVar("R")

KEPT_CLIENTS = 8
"""Clients with cut timeouts kept per dependency (the least recently used is dropped)."""


def round_down(seconds: float) -> float:
    """``seconds`` rounded *down* to a coarse step (0.1 s under 1 s, 0.25 s under 2 s, 1 s
    under a minute, 10 s above), at least 0.1 s.

    >>> round_down(0.37), round_down(1.9), round_down(42.5), round_down(0.01)
    (0.3, 1.75, 42.0, 0.1)
    """
    step = 0.1 if seconds < 1 else 0.25 if seconds < 2 else 1.0 if seconds < 60 else 10.0
    return max(round(math.floor(seconds / step) * step, 2), 0.1)


RETRY_PAUSE_S = 2.0
"""The longest pause botocore's standard retry mode makes before a second attempt (its
``min(2 ** i, 20)`` seconds of jitter for a throttled call, ``i`` = 1), without an answer's
``x-amz-retry-after``, which may add up to :data:`RETRY_AFTER_S`."""
RETRY_AFTER_S = 5.0
"""The most botocore adds to a retry's pause when the answer asks for it (``x-amz-retry-after``)."""


def worst_case_s(connect_s: float, read_s: float, attempts: int) -> float:
    """The longest a call with these timeouts can take: every attempt's connect and read, and
    the longest pause before each retry.

    >>> worst_case_s(1.0, 2.0, 2)
    13.0
    """
    pauses = 0.0
    for retry in range(1, attempts):
        pauses += min(RETRY_PAUSE_S * 2.0 ** (retry - 1), 20.0) + RETRY_AFTER_S
    return attempts * (connect_s + read_s) + pauses


def fit_timeouts(
    connect_s: float, read_s: float, attempts: int, budget: float | None
) -> tuple[float, float, int]:
    """``(connect, read, attempts)`` for a call starting now with ``budget`` seconds left
    (``None``: no deadline known); see the module's docs for the rule."""
    if budget is None or budget >= worst_case_s(connect_s, read_s, attempts):
        return connect_s, read_s, attempts
    connect = min(connect_s, round_down(budget / 4))
    return connect, min(read_s, round_down(budget - connect)), 1


def client_config(connect_s: float, read_s: float, attempts: int, **options: Any) -> Any:
    """The botocore ``Config`` of a client built for ``(connect_s, read_s, attempts)``: those
    timeouts, botocore's standard retry mode, pypwext in the user agent, and ``options``
    (``tcp_keepalive=True``...)."""
    from botocore.config import Config

    return Config(
        connect_timeout=connect_s,
        read_timeout=read_s,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        user_agent_extra="pypwext",
        **options,
    )


class FittedClients(Generic[C]):
    """One dependency's clients: the one with its declared timeouts, built at once, and those
    a call near the deadline asked for, built on first use (at most :data:`KEPT_CLIENTS`).

    ``build(connect_s, read_s, attempts)`` makes a client. Safe to share between threads.
    """

    def __init__(
        self, build: Callable[[float, float, int], C], connect_s: float, read_s: float, attempts: int
    ) -> None:
        self._build = build
        self.declared_timeouts = (connect_s, read_s, attempts)
        self.declared: C = build(connect_s, read_s, attempts)
        """The client with the declared timeouts (the one used when time allows)."""
        self._lock = threading.Lock()
        self._cut: collections.OrderedDict[tuple[float, float, int], C] = collections.OrderedDict()

    def fitted(self, budget: float | None) -> C:
        """The client for a call starting now with ``budget`` seconds left."""
        return self.get(fit_timeouts(*self.declared_timeouts, budget))

    def get(self, timeouts: tuple[float, float, int]) -> C:
        """The client built with ``timeouts`` ``(connect, read, attempts)``."""
        if timeouts == self.declared_timeouts:
            return self.declared
        with self._lock:
            client = self._cut.get(timeouts)
            if client is not None:
                self._cut.move_to_end(timeouts)
                return client
        client = self._build(*timeouts)
        with self._lock:
            self._cut[timeouts] = client
            while len(self._cut) > KEPT_CLIENTS:
                self._cut.popitem(last=False)
        return client


def within(client: Any, budget: float | None, call: Callable[[], R]) -> R:
    """``call()`` (a call of ``client``'s), given at most ``budget`` seconds in all.

    A timeout bounds each wait for bytes, not the call: an endpoint that trickles a byte now and
    then never trips it. So, with a deadline, the call runs in a thread of its own (with the
    caller's context variables) and the caller waits ``budget`` seconds at most; past that,
    ``client``'s connections are closed, which ends the thread's read, and the caller gets
    botocore's ``ReadTimeoutError``, as for a read that timed out. Without a deadline
    (``budget`` is ``None``) it is a plain call."""
    if budget is None:
        return call()
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # (handed to the caller, below)
            outcome.append((False, exc))

    worker = threading.Thread(
        target=contextvars.copy_context().run, args=(tracing.carried(run),), daemon=True
    )
    worker.name = "pypwext-aws-call"
    worker.start()
    worker.join(max(budget, 0.0))
    if not outcome:
        from botocore.exceptions import ReadTimeoutError

        client.close()  # (a client reconnects on its next call)
        raise ReadTimeoutError(endpoint_url=client.meta.endpoint_url)
    done, value = outcome.pop()
    if done:
        return cast(R, value)
    raise value


class FittedClient:
    """A boto3 client's stand-in for a library that is handed one: each API call is made by the
    client of ``clients`` that fits the time the current invocation has left
    (:func:`~pypwext.runtime._dependency.remaining_budget_s`), and :func:`within` it; anything
    else (``meta``, ``exceptions``, ``get_paginator``...) is the declared client's."""

    __slots__ = ("_clients",)

    def __init__(self, clients: FittedClients[Any]) -> None:
        self._clients = clients

    def __getattr__(self, name: str) -> Any:
        declared = self._clients.declared
        if name not in declared.meta.method_to_api_mapping:  # not an API operation
            return getattr(declared, name)
        budget = remaining_budget_s()
        client = self._clients.fitted(budget)
        method = getattr(client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return within(client, budget, lambda: method(*args, **kwargs))

        return call
