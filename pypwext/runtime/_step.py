"""``@step`` and the wrapping it shares with the lifecycle methods: the entry logged at DEBUG with
the arguments, the exit with the result (both redacted by classification), a subsegment when the
invocation is traced, and a CONTINUE error collected (:func:`pypwext.errors.collect_or_raise`)
with the step returning the error's ``return_value``.

A step on a service's method takes its labels (operation, classification, log type) from the
service's :class:`~pypwext.runtime._spec.ServiceSpec` unless the step names its own.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

from pypwext.base import InfoClassification, LogEntryType
from pypwext.errors import ConfigurationError, ServiceError, collect_or_raise
from pypwext.observability.logging import DEBUG, INFO, ServiceLogger, current_logger
from pypwext.observability.tracing import current_recorder, trace_call
from pypwext.runtime._spec import ServiceSpec

__all__ = ["lifecycle_step", "step"]

F = TypeVar("F", bound=Callable[..., Any])


class _StepInfo:
    """How one wrapped method logs (a plain class: see ``ServiceSpec``). ``exit_level`` is DEBUG
    (lifecycle methods) or INFO (``@step``), never below the entry's DEBUG; ``location`` is the
    wrapped function's ``function:line``, for its log entries."""

    __slots__ = ("classification", "exit_level", "location", "log_type", "name", "operation")

    def __init__(
        self,
        name: str,
        operation: str | None,
        classification: InfoClassification | None,
        log_type: LogEntryType | None,
        exit_level: int,
        location: str = "",
    ) -> None:
        self.name = name
        self.operation = operation
        self.classification = classification
        self.log_type = log_type
        self.exit_level = exit_level
        self.location = location


def _run_step(
    info: _StepInfo,
    fn: Callable[..., Any],
    svc: Any,
    spec: ServiceSpec | None,
    logger: ServiceLogger | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run a step that logs or is traced (see :func:`_wrap` for the others)."""
    labels = None  # built only when an entry or a trace needs them
    debug = logger is not None and logger.is_enabled(DEBUG)
    if debug:
        assert logger is not None
        labels = _step_labels(info, spec, args)
        operation, classification, log_type, call_args = labels
        shown: Any = call_args[0] if len(call_args) == 1 and not kwargs else {"args": call_args, **kwargs}
        logger.entry(operation, info.name, shown, classification, log_type, info.location)
    try:
        if current_recorder() is not None:  # a subsegment per step, only when the invocation is traced
            labels = labels or _step_labels(info, spec, args)
            with trace_call(f"{labels[0]}.{info.name}"):
                result = fn(*args, **kwargs)
        else:
            result = fn(*args, **kwargs)
    except ServiceError as err:
        return _collect(err, svc)
    if logger is not None and (debug or logger.is_enabled(info.exit_level)):
        operation, classification, log_type, _ = labels or _step_labels(info, spec, args)
        logger.exit(operation, info.name, result, classification, log_type, info.exit_level, info.location)
    return result


def _collect(err: ServiceError, svc: Any) -> Any:
    """A step raised ``err``: collect it and return its ``return_value`` when its action is
    CONTINUE (re-raised otherwise, or when there is no collector to take it; outside an
    invocation, a service's own collector takes it)."""
    collect_or_raise(err, fallback=svc._errors if svc is not None else None)
    return err.return_value


def _step_labels(
    info: _StepInfo, spec: ServiceSpec | None, args: tuple[Any, ...]
) -> tuple[str, InfoClassification, LogEntryType, tuple[Any, ...]]:
    """The operation, classification and log type of a step's entries (the step's own, else
    its service's), and its arguments without ``self``."""
    if spec is not None:
        obs = spec.obs
        return (
            info.operation or spec.operation,
            info.classification or obs.classification,
            info.log_type or obs.log_type,
            args[1:],
        )
    return (
        info.operation or info.name,
        info.classification or InfoClassification.NA,
        info.log_type or LogEntryType.STD,
        args,
    )


def _wrap(fn: F, info: _StepInfo) -> F:
    exit_level = info.exit_level

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        spec = getattr(type(args[0]), "_pypwext_spec", None) if args else None
        if spec is not None:  # a method of a service
            svc = args[0]
            logger = spec.logger
        else:
            svc = None
            logger = current_logger()
        # The entry is logged at DEBUG, the exit at exit_level (DEBUG or INFO): below exit_level
        # nothing is written, and untraced, the step is only a call that collects CONTINUE errors
        if (logger is None or not logger.is_enabled(exit_level)) and current_recorder() is None:
            try:
                return fn(*args, **kwargs)
            except ServiceError as err:
                return _collect(err, svc)
        return _run_step(info, fn, svc, spec, logger, args, kwargs)

    wrapper.__pypwext_step__ = info  # type: ignore[attr-defined]
    return cast(F, wrapper)


@overload
def step(fn: F, /) -> F: ...


@overload
def step(
    *,
    operation: str | None = None,
    classification: InfoClassification | None = None,
    log_type: LogEntryType | None = None,
) -> Callable[[F], F]: ...


def step(
    fn: F | None = None,
    /,
    *,
    operation: str | None = None,
    classification: InfoClassification | None = None,
    log_type: LogEntryType | None = None,
) -> F | Callable[[F], F]:
    """Give a helper the lifecycle methods' treatment (PyPwExt's ``@logger.method`` and
    ``@errors.collect`` in one).

    The entry is logged at DEBUG with the arguments, the exit at INFO with the result, both
    redacted by ``classification`` (default: the service's); a ``ServiceError`` with
    ``action=CONTINUE`` (or an ``ErrorWithReturn``) is collected into the invocation's
    collector and the helper returns the error's ``return_value``.

    >>> from pypwext import BaseService, Request
    >>> class Offers(BaseService):
    ...     @step(operation="send-offer", classification=InfoClassification.PII)
    ...     def send_offer(self, email: str) -> str:
    ...         return email
    ...     def execute(self, request: Request) -> list[str]:
    ...         return [self.send_offer("a@example.com")]
    """

    def decorate(f: F) -> F:
        if inspect.iscoroutinefunction(f):
            raise ConfigurationError(f"@step does not support async functions ({f.__qualname__})")
        info = _StepInfo(f.__name__, operation, classification, log_type, INFO, _location(f))
        return _wrap(f, info)

    if fn is not None:
        return decorate(fn)
    return decorate


def lifecycle_step(fn: F, name: str) -> F:
    """``fn``, a lifecycle method ``name``, wrapped like a step whose exit is logged at DEBUG."""
    return _wrap(fn, _StepInfo(name, None, None, None, DEBUG, _location(fn)))


def _location(fn: Any) -> str:
    """``function:line`` of ``fn``'s definition: where its entry and exit lines point."""
    code = getattr(_unwrap(fn), "__code__", None)
    return f"{fn.__name__}:{code.co_firstlineno}" if code is not None else str(fn.__name__)


def _unwrap(fn: Any) -> Any:
    return getattr(fn, "__wrapped__", fn)
