"""``BaseService`` and its metaclass: the lifecycle of one invocation and ``Service.handler``.

The metaclass does its work once per class, at import, in one plain function,
:func:`prepare_class`:

* it checks the class options and the lifecycle signatures, and fails with a message that says
  how to fix them;
* it resolves the input type (annotated on ``validate``'s parameter, or ``execute``'s when
  ``validate`` is not overridden) and makes sure the shared converter can build it;
* it collects the dependency descriptors so that ``Service(name=fake)`` can replace them;
* it wraps ``validate``, ``execute``, ``on_error`` and ``render`` with entry/exit logging and
  error collection (the same treatment ``@step`` gives a helper);
* it builds ``handler``, the Lambda entry point.

Everything else is ordinary Python.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging as _stdlib_logging
import os
import re
import sys
import threading
import time
import typing
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar, cast, overload

import attrs

from pypwext import _pydantic, codec
from pypwext._placeholders import parse_route
from pypwext.base import ErrorAction, InfoClassification, LogEntryType
from pypwext.errors import (
    BadRequest,
    ConfigurationError,
    ErrorCollector,
    InternalError,
    ServiceError,
    current_collector,
    reset_current_collector,
    set_current_collector,
)
from pypwext.observability._context import Invocation, reset_invocation, set_invocation
from pypwext.observability._metrics import ServiceMetrics
from pypwext.observability._summary import Observability, Observed
from pypwext.observability.logging import (
    ServiceLogger,
    current_logger,
    remember_input,
    reset_current_logger,
    set_current_logger,
)
from pypwext.observability.tracing import active as tracing_active
from pypwext.observability.tracing import sdk_available, trace_call
from pypwext.runtime._cors import Cors
from pypwext.runtime._dependency import Dependency
from pypwext.runtime._idempotency import Idempotency, http_document
from pypwext.wire._event_classes import event_class_sources, event_input
from pypwext.wire._events import EventSource, Request, detect_source, parse_request
from pypwext.wire._responses import Response, to_source

__all__ = ["BaseService", "Handler", "ServiceMeta", "prepare_class", "step"]

F = TypeVar("F", bound=Callable[..., Any])

LIFECYCLE = ("validate", "execute", "on_error", "render")
"""The lifecycle methods of an HTTP/direct service; a base class for another kind of service
(a batch service, say) sets ``_pypwext_lifecycle`` and ``_pypwext_input_methods`` instead."""

_ARG_NAMES = {"on_error": "error", "render": "result"}

_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "operation": (str, type(None)),
    "service": (str, type(None)),
    "classification": (InfoClassification,),
    "log_type": (LogEntryType,),
    "status": (int,),
    "just_status_code": (bool,),
    "code_from_error": (bool,),
    "cors": (Cors, type(None)),
    "route": (str, type(None)),
    "correlation_id_path": (str, type(None)),
    "tracing": (bool, type(None)),
    "metrics_namespace": (str, type(None)),
    "idempotency": (Idempotency, type(None)),
    "raises": (tuple,),
}
"""The class options a service may set, with the types they take (a kind of service adds its
own in ``_pypwext_kind_options``)."""

_RESERVED = frozenset({"handler", "errors", "request", "context", "logger", "metrics"})


class _HandlerType(type):
    """``isinstance(obj, Handler)`` is true for the entry points pypwext builds (plain functions,
    see :class:`Handler`), and false for a function that wraps one (a middleware's)."""

    def __instancecheck__(cls, obj: object) -> bool:
        return getattr(obj, "__code__", None) is _HANDLER_CODE


class Handler(metaclass=_HandlerType):
    """The Lambda entry point of a service class: ``handler = CreateOrder.handler``.

    Each call makes a fresh instance and runs one invocation. ``handler.service_class`` names the
    class. ``Handler(cls)`` builds a plain function ``handler(event, context=None)`` -- what
    Lambda, ``inspect`` and decorators such as Powertools' ``lambda_handler_decorator``
    middlewares expect -- and ``isinstance(fn, Handler)`` recognises one.
    """

    service_class: type[BaseService]

    def __new__(cls, service_class: type[BaseService]) -> Handler:
        def handler(event: Any, context: Any = None) -> Any:
            return service_class()(event, context)

        handler.__qualname__ = f"{service_class.__qualname__}.handler"
        handler.__module__ = service_class.__module__
        handler.__doc__ = f"Lambda entry point of {service_class.__qualname__}."
        handler.service_class = service_class  # type: ignore[attr-defined]
        return cast(Handler, handler)

    def __call__(self, event: Any, context: Any = None) -> Any:  # pragma: no cover - the function's
        """Run one invocation (the signature of the function ``Handler(cls)`` returns)."""
        raise NotImplementedError


_HANDLER_CODE = Handler(cast("type[BaseService]", object)).__code__  # type: ignore[attr-defined]


class _ClassOnly:
    """A class attribute that refuses instance access (``svc.handler`` is a mistake)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __get__(self, instance: object | None, owner: type) -> Handler:
        if instance is not None:
            raise AttributeError(
                f"handler is the Lambda entry point of the class {owner.__qualname__}; "
                "to run an invocation on this instance, call it: svc(event, context)"
            )
        return self.handler


@attrs.frozen
class _StepInfo:
    name: str
    operation: str | None
    classification: InfoClassification | None
    log_type: LogEntryType | None
    exit_level: int  # DEBUG (lifecycle methods) or INFO (@step): never below DEBUG, the entry's level
    location: str = ""  # "function:line" of the wrapped function's def, for its log entries


def _run_step(
    info: _StepInfo,
    fn: Callable[..., Any],
    svc: BaseService | None,
    logger: ServiceLogger | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run a step that logs or is traced (see :func:`_wrap` for the others)."""
    labels = None  # built only when an entry or a trace needs them
    debug = logger is not None and logger.is_enabled(_stdlib_logging.DEBUG)
    if debug:
        assert logger is not None
        labels = _step_labels(info, svc, args)
        operation, classification, log_type, call_args = labels
        shown: Any = call_args[0] if len(call_args) == 1 and not kwargs else {"args": call_args, **kwargs}
        logger.entry(operation, info.name, shown, classification, log_type, info.location)
    try:
        if tracing_active():  # a subsegment per step, only when the invocation is traced
            labels = labels or _step_labels(info, svc, args)
            with trace_call(f"{labels[0]}.{info.name}"):
                result = fn(*args, **kwargs)
        else:
            result = fn(*args, **kwargs)
    except ServiceError as err:
        return _collect(err, svc)
    if logger is not None and (debug or logger.is_enabled(info.exit_level)):
        operation, classification, log_type, _ = labels or _step_labels(info, svc, args)
        logger.exit(operation, info.name, result, classification, log_type, info.exit_level, info.location)
    return result


def _collect(err: ServiceError, svc: BaseService | None) -> Any:
    """A step raised ``err``: collect it and return its ``return_value`` when its action is
    CONTINUE (re-raised otherwise, or when there is no collector to take it)."""
    if err.effective_action is not ErrorAction.CONTINUE:
        raise err
    collector = current_collector()  # (an empty collector is falsy: compare with None)
    if collector is None and svc is not None:
        collector = svc._errors
    if collector is None:
        raise err
    collector.collect(err)
    return err.return_value


def _step_labels(
    info: _StepInfo, svc: BaseService | None, args: tuple[Any, ...]
) -> tuple[str, InfoClassification, LogEntryType, tuple[Any, ...]]:
    """The operation, classification and log type of a step's entries (the step's own, else
    its service's), and its arguments without ``self``."""
    if svc is not None:
        cls = type(svc)
        return (
            info.operation or cls._pypwext_operation,
            info.classification or cls.classification,
            info.log_type or cls.log_type,
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
        svc = args[0] if args and isinstance(args[0], BaseService) else None
        logger = type(svc)._pypwext_logger if svc is not None else current_logger()
        # The entry is logged at DEBUG, the exit at exit_level (DEBUG or INFO): below exit_level
        # nothing is written, and untraced, the step is only a call that collects CONTINUE errors
        if (logger is None or not logger.is_enabled(exit_level)) and not tracing_active():
            try:
                return fn(*args, **kwargs)
            except ServiceError as err:
                return _collect(err, svc)
        return _run_step(info, fn, svc, logger, args, kwargs)

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
        info = _StepInfo(f.__name__, operation, classification, log_type, _stdlib_logging.INFO, _location(f))
        return _wrap(f, info)

    if fn is not None:
        return decorate(fn)
    return decorate


def _location(fn: Any) -> str:
    """``function:line`` of ``fn``'s definition: where its entry and exit lines point."""
    code = getattr(_unwrap(fn), "__code__", None)
    return f"{fn.__name__}:{code.co_firstlineno}" if code is not None else str(fn.__name__)


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def _definition_error(cls_name: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{cls_name}: {message}")


def _check_options(
    name: str,
    namespace: Mapping[str, Any],
    lifecycle: tuple[str, ...],
    kind_options: Mapping[str, tuple[type, ...]] | None = None,
) -> None:
    """Check the class body against what pypwext knows: its options (each of the right type),
    its reserved names, and near-misses of an option's name (``just_status_codes``,
    ``service_name``), which would otherwise be silently ignored. Anything else -- methods,
    ``property``/``cached_property`` and other descriptors, constants, attributes of your own --
    is ordinary Python and left alone."""
    known = {**_OPTION_TYPES, **(kind_options or {})}
    for key, value in namespace.items():
        if key.startswith("_") or key in lifecycle:
            continue
        if key in _RESERVED:
            raise _definition_error(
                name, f"'{key}' is reserved by BaseService; pick another name for your attribute"
            )
        if key in known:
            types = known[key]
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                wanted = " or ".join("None" if t is type(None) else t.__name__ for t in types)
                raise _definition_error(name, f"option '{key}' takes {wanted}, got {value!r}")
            continue
        if key.isupper() or callable(value) or hasattr(type(value), "__get__"):
            continue  # a constant, a method, a class, a property or another descriptor
        meant = _MEANT.get(key)
        if meant is None or meant not in known:
            import difflib  # only for a name that is not an option

            close = difflib.get_close_matches(key, known, n=1, cutoff=_NEAR_MISS)
            meant = close[0] if close else None
        if meant is not None:
            raise _definition_error(
                name,
                f"unknown option '{key} = {value!r}'. Did you mean '{meant}'? Known options: "
                f"{', '.join(sorted(known))}. (An attribute of your own this close to an option's "
                "name: give it an UPPER_CASE or _private name.)",
            )


_NEAR_MISS = 0.75
"""How close (``difflib`` ratio) a class attribute's name must be to an option's to be taken for
a misspelling of it: ``routes``, ``just_status``, ``paralel`` are; ``version``, ``source`` and
``table_name`` are not."""

_MEANT = {"service_name": "service", "status_code": "status", "namespace": "metrics_namespace"}
"""Names users coming from PyPwExt or Powertools write for an option, and the option."""


def _check_signature(name: str, method_name: str, fn: Any, arg_name: str) -> None:
    if not callable(fn):
        raise _definition_error(name, f"{method_name} must be a method, got {fn!r}")
    if inspect.iscoroutinefunction(fn):
        raise _definition_error(name, f"{method_name} must be a plain 'def', not 'async def'")
    params = list(inspect.signature(fn).parameters.values())
    positional = [
        p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) != 2 or any(p.kind is p.VAR_POSITIONAL for p in params):
        raise _definition_error(
            name,
            f"{method_name} must take exactly one argument besides self: def {method_name}(self, {arg_name}) "
            f"-- got {method_name}{inspect.signature(fn)}",
        )


def _input_type(cls: type[BaseService], localns: Mapping[str, Any] | None = None) -> Any:
    candidates = cls._pypwext_input_methods
    defined = _defined_lifecycle(cls)
    chosen = next((m for m in candidates if m in defined), candidates[-1])
    fn = _unwrap(getattr(cls, chosen))
    params = list(inspect.signature(fn).parameters)
    if len(params) < 2:
        return Request
    try:
        hints = typing.get_type_hints(fn, localns=dict(localns) if localns else None)
    except NameError as exc:
        raise _definition_error(
            cls.__qualname__,
            f"cannot resolve the type annotated on {fn.__name__}'s parameter ({exc}); "
            "define the input class before the service, at module level",
        ) from None
    return hints.get(params[1], Request)


def _defined_lifecycle(cls: type[BaseService]) -> set[str]:
    """The lifecycle methods that a class below BaseService (or the kind's base) defines."""
    found: set[str] = set()
    for klass in cls.__mro__:
        if klass is object or vars(klass).get("_pypwext_kind_base", False):
            break
        found.update(name for name in cls._pypwext_lifecycle if name in vars(klass))
    return found


def _unwrap(fn: Any) -> Any:
    return getattr(fn, "__wrapped__", fn)


def _check_input_type(cls_name: str, input_type: Any) -> None:
    if input_type in (Request, Any, object) or event_class_sources(input_type) is not None:
        return
    try:
        codec.converter.get_structure_hook(input_type)
    except Exception as exc:
        raise _definition_error(
            cls_name,
            f"the input type {input_type!r} cannot be built from a request body ({exc}). "
            "Use an attrs class, a dataclass, list[...], dict[str, ...], a scalar, or Request, "
            "or register a structure hook on pypwext.codec.converter.",
        ) from None


def prepare_class(
    cls: type[BaseService], namespace: Mapping[str, Any], localns: Mapping[str, Any] | None = None
) -> None:
    """Check and equip a service class; the metaclass's only work.

    ``localns`` are the names visible where the class is defined (so that input types defined
    in a function, as tests often do, resolve under ``from __future__ import annotations``).

    Raises ``TypeError`` with a message that says how to fix a class that cannot work.
    """
    name = cls.__qualname__
    lifecycle = cls._pypwext_lifecycle
    _check_options(name, namespace, lifecycle, cls._pypwext_kind_options)
    if not 200 <= cls.status <= 399:
        raise _definition_error(name, f"status must be a success status (200-399), got {cls.status}")
    if cls.route is not None:
        try:
            parse_route(cls.route)  # the rule Api() applies, with its words
        except ValueError as exc:
            raise _definition_error(name, str(exc)) from None
    if not all(isinstance(e, type) and issubclass(e, ServiceError) for e in cls.raises):
        raise _definition_error(
            name,
            f"raises takes a tuple of ServiceError classes, e.g. raises = (Conflict,), got {cls.raises!r}",
        )
    for method_name in lifecycle:
        if method_name in namespace:
            _check_signature(name, method_name, namespace[method_name], _ARG_NAMES.get(method_name, "data"))

    deps: dict[str, Dependency[Any]] = {}
    for klass in reversed(cls.__mro__):
        for key, value in vars(klass).items():
            if isinstance(value, Dependency):
                deps[key] = value
    cls._pypwext_dependencies = deps

    operation = namespace.get("operation") or cls.operation or _kebab(cls.__name__)
    cls._pypwext_operation = operation
    if cls.tracing is True and not sdk_available():
        raise _definition_error(
            name, "tracing = True needs the AWS X-Ray SDK: pip install 'pypwext[tracing]' (or aws-xray-sdk)"
        )
    obs = Observability(
        service=cls.service
        or os.environ.get("POWERTOOLS_SERVICE_NAME")
        or os.environ.get("SERVICE_NAME")  # PyPwExt's variable
        or _kebab(cls.__name__),
        operation=operation,
        classification=cls.classification,
        log_type=cls.log_type,
        location=f"{cls.__module__}.{cls.__qualname__}",
        correlation_id_path=cls.correlation_id_path,
        tracing=cls.tracing,
        metrics_namespace=cls.metrics_namespace,
    )
    cls._pypwext_obs = obs
    cls._pypwext_logger = obs.logger

    for method_name in lifecycle:
        fn = namespace.get(method_name)
        if fn is not None and not hasattr(fn, "__pypwext_step__"):
            info = _StepInfo(method_name, None, None, None, _stdlib_logging.DEBUG, _location(fn))
            setattr(cls, method_name, _wrap(fn, info))

    input_type = _input_type(cls, localns)
    _check_input_type(name, input_type)
    cls._pypwext_input_type = input_type
    cls._pypwext_input_fields = _field_names(input_type)
    cls._pypwext_event_sources = event_class_sources(input_type)
    cls.handler = _ClassOnly(Handler(cls))  # type: ignore[assignment]


def _field_names(input_type: Any) -> frozenset[str] | None:
    if isinstance(input_type, type) and attrs.has(input_type):
        return frozenset(a.alias for a in attrs.fields(input_type))
    if isinstance(input_type, type) and dataclasses.is_dataclass(input_type):
        return frozenset(f.name for f in dataclasses.fields(input_type))
    return _pydantic.field_names(input_type)


class ServiceMeta(type):
    """The metaclass of services: runs :func:`prepare_class` once per class, at import."""

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> None:
        super().__init__(name, bases, namespace)
        if bases:  # BaseService itself is prepared below, once its methods exist
            definer = sys._getframe(1)  # where the class statement runs
            prepare_class(cast("type[BaseService]", cls), namespace, definer.f_locals)


class BaseService(metaclass=ServiceMeta):
    """The base class of a pypwext service.

    Override ``execute`` (and optionally ``validate``, ``on_error``, ``render``); set class
    options; declare dependencies as class attributes; expose ``handler = MyService.handler``.

    Class options:

    ``operation``
        Name of the operation in logs and errors (default: the class name in kebab-case).
    ``service``
        The service name of logs, traces and metrics (default: ``POWERTOOLS_SERVICE_NAME``, else
        PyPwExt's ``SERVICE_NAME``, else the class name in kebab-case).
    ``correlation_id_path``
        A JMESPath into the event for the logs' ``correlation_id`` (default: the request id).
    ``tracing``
        ``True``: trace every invocation with X-Ray; ``None`` (default): when Lambda sampled the
        request; ``False``: never (see :mod:`pypwext.observability.tracing`).
    ``metrics_namespace``
        The CloudWatch namespace of the service's metrics (default:
        ``POWERTOOLS_METRICS_NAMESPACE``, else PyPwExt's ``METRICS_NAMESPACE``; without one, no
        metrics).
    ``classification``
        :class:`InfoClassification` of what the service handles; PII and AUTHORIZATION_INFO
        values are masked in logs.
    ``log_type``
        :class:`LogEntryType` of the service's log entries.
    ``status``
        The success status (default 200); ``None`` results answer 204.
    ``just_status_code``
        ``True`` (default): errors answer with their status code only; ``False``: with
        PyPwExt's error body.
    ``code_from_error``
        ``True`` (default): a successful result with collected errors answers with the highest
        collected code.
    ``cors``
        A :class:`~pypwext.runtime._cors.Cors` to answer browsers' preflights and add CORS headers.
    ``route``
        ``"METHOD /path/{param}"``: where the service answers when several services share one
        function, and the event of a generated template.
    ``idempotency``
        An :class:`~pypwext.runtime._idempotency.Idempotency`: a repeated request with the same key gets
        the stored result without running ``execute`` again (409 while the first one runs).
    ``raises``
        A tuple of the :class:`~pypwext.ServiceError` classes the service answers with, beside
        those its own source raises by name: they become responses of its OpenAPI document.

    >>> class Hello(BaseService):
    ...     def execute(self, request: Request) -> dict[str, str]:
    ...         return {"hello": request.query.get("name", "world")}
    >>> Hello()({"direct": True})["statusCode"]
    {"level":"INFO",...,"message":"INVOKE -> 200",...}
    200
    """

    operation: ClassVar[str | None] = None
    service: ClassVar[str | None] = None
    classification: ClassVar[InfoClassification] = InfoClassification.NA
    log_type: ClassVar[LogEntryType] = LogEntryType.STD
    status: ClassVar[int] = HTTPStatus.OK
    just_status_code: ClassVar[bool] = True
    code_from_error: ClassVar[bool] = True
    cors: ClassVar[Cors | None] = None
    route: ClassVar[str | None] = None
    correlation_id_path: ClassVar[str | None] = None
    tracing: ClassVar[bool | None] = None
    metrics_namespace: ClassVar[str | None] = None
    idempotency: ClassVar[Idempotency | None] = None
    raises: ClassVar[tuple[type[ServiceError], ...]] = ()

    handler: ClassVar[Handler]
    _pypwext_kind_base: ClassVar[bool] = True  # the lifecycle of classes below this one is theirs
    _pypwext_lifecycle: ClassVar[tuple[str, ...]] = LIFECYCLE
    _pypwext_input_methods: ClassVar[tuple[str, ...]] = ("validate", "execute")
    _pypwext_kind_options: ClassVar[dict[str, tuple[type, ...]]] = {}  # a kind's own class options
    _pypwext_dependencies: ClassVar[dict[str, Dependency[Any]]]
    _pypwext_operation: ClassVar[str]
    _pypwext_logger: ClassVar[ServiceLogger]
    _pypwext_obs: ClassVar[Observability]
    _pypwext_input_type: ClassVar[Any]
    _pypwext_input_fields: ClassVar[frozenset[str] | None]
    _pypwext_event_sources: ClassVar[tuple[EventSource, ...] | None]  # a Powertools data class's

    def __init__(self, **overrides: Any) -> None:
        known = type(self)._pypwext_dependencies
        for key, value in overrides.items():
            if key not in known:
                names = ", ".join(sorted(known)) or "none declared"
                raise TypeError(
                    f"{type(self).__qualname__}() got an unknown dependency '{key}'; known dependencies: {names}"
                )
            self.__dict__[key] = value
        self._errors = ErrorCollector()
        self._request: Request | None = None

    # --- state of the current invocation ------------------------------------------------------

    @property
    def errors(self) -> ErrorCollector:
        """The errors collected so far in this invocation."""
        return self._errors

    @property
    def request(self) -> Request:
        """The request of the current invocation (only during an invocation)."""
        if self._request is None:
            raise RuntimeError("there is no request outside an invocation: call svc(event, context) first")
        return self._request

    @property
    def context(self) -> Any:
        """The Lambda context of the current invocation, or ``None``."""
        return self._request.context if self._request is not None else None

    @property
    def logger(self) -> ServiceLogger:
        """The service's logger (one per class)."""
        return type(self)._pypwext_logger

    @property
    def metrics(self) -> ServiceMetrics:
        """The service's metrics (Powertools' EMF API: ``self.metrics.add_metric(name=..., unit=...,
        value=...)``), flushed at the end of each invocation when a namespace is configured."""
        return type(self)._pypwext_obs.metrics

    # --- the lifecycle: override these ------------------------------------------------------

    def validate(self, data: Any) -> Any:
        """Domain checks on the structured input; returns what ``execute`` receives.

        Raise :class:`~pypwext.BadRequest` (or another ``ServiceError``) to refuse it.
        """
        return data

    def execute(self, data: Any) -> Any:
        """The business logic. Return an attrs instance, dataclass, dict, list, str, bytes,
        ``None`` (204) or a :class:`~pypwext.Response`."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement execute(self, data)")

    def on_error(self, error: ServiceError) -> Any:
        """Called with the error that stopped ``validate`` or ``execute`` (unexpected exceptions
        arrive wrapped in an ``InternalError``, the original as ``__cause__``). Return a result
        to render it instead, or raise (the default) to answer with the error."""
        raise error

    def render(self, result: Any) -> Response:
        """Turn ``execute``'s result and the collected errors into a :class:`~pypwext.Response`.

        A :class:`~pypwext.Response` the service returned is never changed (it may be a
        constant shared by every invocation): with collected errors, a copy carries them.
        """
        collected = self._errors.errors
        if isinstance(result, Response):
            if collected and not result.errors:
                return attrs.evolve(result, errors=list(collected))
            return result
        status = int(type(self).status) if result is not None else HTTPStatus.NO_CONTENT
        body: Any = result
        if collected:
            if type(self).code_from_error:
                status = max(e.code for e in collected)
            if not type(self).just_status_code:
                body = _with_errors(result, collected)
        return Response(status, body, {}, [], {}, list(collected))  # (positional: it runs on every call)

    # --- one invocation ---------------------------------------------------------------------

    def __call__(self, event: Any, context: Any = None) -> Any:
        """Run one invocation on this instance and return what the event source expects."""
        return self._invoke(event, context, self._parse)

    def _invoke(
        self, event: Any, context: Any, parse: Callable[[Any, Any], tuple[Request, Response | None]]
    ) -> Any:
        """One invocation on ``event``, read by ``parse``: the service's own :meth:`_parse`, or
        (from an :class:`~pypwext.runtime._routes.Api`, which read the event to route it) :func:`given`
        of that request, so that the event is not read a second time."""
        cls = type(self)
        with Running(self, event, context, parse) as run:
            try:
                request, early = run.request, run.early
                if early is None:
                    response, answer = self._respond(request)
                else:
                    response, answer = self._written(early, request)
            except BaseException as exc:  # escaped every handling of the answer path (a BaseException)
                self.logger.failure(cls._pypwext_operation, "unhandled error", exc, cls.classification)
                raise
            run.status = response.status
            self._summarise(request, response, run.observed.started)
            return answer

    def _parse(self, event: Any, context: Any) -> tuple[Request, Response | None]:
        try:
            return parse_request(event, context), None
        except BadRequest as err:  # an event the source adapter cannot read (bad base64, ...)
            return _fallback_request(event, context), self._error_response(err)

    def _respond(self, request: Request) -> tuple[Response, Any]:
        """The lifecycle, then the answer written for the source: ``(response, answer)``.

        Writing the answer (encoding the body, checking the headers) is part of the protected
        lifecycle: a result that cannot be written is an error through ``on_error`` like any
        other, never an exception out of the handler.
        """
        cls = type(self)
        if cls.cors is not None and request.source.is_http and cls.cors.is_preflight(request):
            return self._written(cls.cors.preflight(request), request)
        try:
            try:
                data = self._structure_input(request)
                validated = self.validate(data)
                if cls.idempotency is None:
                    result = self.execute(validated)
                else:  # the stored result of a repeated key, or execute's (then stored)
                    result = cls.idempotency.run(
                        cls,
                        http_document(request),
                        lambda: self.execute(validated),
                        request.context,
                        data=validated,
                    )
            except ServiceError as err:
                result = self.on_error(err)
            except Exception as exc:
                result = self.on_error(self._internal(exc, "unexpected error"))
            response = self.render(result)
            try:
                return self._write(response, request)
            except Exception as exc:  # a body that cannot be encoded, a header with CR/LF...
                result = self.on_error(self._internal(exc, "the answer cannot be written"))
            return self._write(self.render(result), request)
        except ServiceError as err:
            if err.code >= 500 and not getattr(err, "logged", False):
                self.logger.failure(cls._pypwext_operation, f"{err.code} {err.msg}", err, cls.classification)
            return self._written(self._error_response(err), request)
        except Exception as exc:
            self.logger.failure(
                cls._pypwext_operation, "unexpected error while rendering", exc, cls.classification
            )
            return self._written(self._error_response(InternalError()), request)

    def _internal(self, exc: Exception, what: str) -> InternalError:
        """``exc``, logged once with its traceback, as the generic 500 ``on_error`` receives."""
        cls = type(self)
        self.logger.failure(cls._pypwext_operation, what, exc, cls.classification)
        internal = InternalError()
        internal.__cause__ = exc
        internal.logged = True  # type: ignore[attr-defined]
        return internal

    def _write(self, response: Response, request: Request) -> tuple[Response, Any]:
        """``(response, the answer for the source)``, with the CORS headers; raises what the
        adapter raises for a response it cannot write."""
        cors = type(self).cors
        if cors is not None and request.source.is_http:
            response = cors.apply(response, request)
        return response, to_source(response, request)

    def _written(self, response: Response, request: Request) -> tuple[Response, Any]:
        """:meth:`_write` for an answer pypwext built (an error, a preflight); when even that
        cannot be written (an error's own headers or details, say), the generic 500."""
        try:
            return self._write(response, request)
        except Exception as exc:
            cls = type(self)
            self.logger.failure(
                cls._pypwext_operation, "the answer cannot be written", exc, cls.classification
            )
            return self._write(self._error_response(InternalError(), alone=True), request)

    def _structure_input(self, request: Request) -> Any:
        cls = type(self)
        target = cls._pypwext_input_type
        if target is Request:
            return request
        if cls._pypwext_event_sources is not None:  # a Powertools event data class
            return event_input(cls.__qualname__, target, cls._pypwext_event_sources, request)
        if request.source is EventSource.DIRECT:
            data = request.json()
        else:
            data = _http_input(request, cls._pypwext_input_fields)
        if target in (Any, object):
            return data
        try:
            return remember_input(codec.structure(data, target), cls.classification)
        except codec.InputError as exc:
            raise BadRequest("invalid request", details=exc.details()) from None

    def _error_response(self, error: ServiceError, *, alone: bool = False) -> Response:
        """The answer for ``error`` (after the collected errors; ``alone``: without them, when
        one of them may be what could not be written)."""
        errors = [error] if alone else [*self._errors.errors, error]
        body = None
        if not type(self).just_status_code:
            body = {"error": _error_body(errors)}
        return Response(error.code, body=body, headers=dict(error.headers), errors=errors)

    def _summarise(self, request: Request, response: Response, started: float) -> None:
        """The one INFO line per invocation (for an AUDIT service: its audit entry, at any level),
        by the one writer that the event-driven kinds (pypwext.kinds._common) and an Api's own answers
        use too (:meth:`pypwext.observability._summary.Observability.summary`)."""
        cls = type(self)
        codes = [e.code for e in response.errors] if response.errors else []
        cls._pypwext_obs.summary(request, int(response.status), codes, started, cls.route)


class Running:
    """The scaffolding of one invocation, for every kind of service: a fresh error collector,
    the service's logger as the current one, observation (cold start, log fields, correlation
    id, trace, metrics -- flushed at the end, error or not), and the
    :class:`~pypwext.observability._context.Invocation` that helpers, dependencies and threads started with
    ``contextvars.copy_context()`` see (built the first time one asks for it). ``parse(event,
    context)`` reads the event into a request, and an early answer for an event that cannot be
    read.

    ``with Running(svc, event, context, parse) as run:`` gives the running invocation itself:
    ``run.request``, ``run.early``, ``run.observed``, and ``run.status``, which the caller sets
    to the status it ends with (``None`` counts as a failure in metrics and traces). A class
    rather than a generator: it runs on every invocation.
    """

    __slots__ = (
        "_context",
        "_event",
        "_invocation",
        "_parse",
        "_svc",
        "_tokens",
        "collector",
        "early",
        "observed",
        "request",
        "status",
    )

    request: Request
    early: Response | None
    observed: Observed
    collector: ErrorCollector

    def __init__(
        self,
        svc: BaseService,
        event: Any,
        context: Any,
        parse: Callable[[Any, Any], tuple[Request, Response | None]],
    ) -> None:
        self._svc = svc
        self._event = event
        self._context = context
        self._parse = parse
        self._invocation: Invocation | None = None
        self._tokens: tuple[Any, Any, Any] = (None, None, None)
        self.status: int | None = None

    def __enter__(self) -> Running:
        svc = self._svc
        cls = type(svc)
        context = self._context
        collector = self.collector = svc._errors = ErrorCollector()
        logger_token = set_current_logger(cls._pypwext_logger)
        observed = self.observed = cls._pypwext_obs.start(self._event, context)
        collector_token = set_current_collector(collector)
        self._tokens = (logger_token, collector_token, None)
        try:
            request, early = self._parse(self._event, context)
            self.request = request
            self.early = early
            svc._request = request
            observed.begin(request)
            self._tokens = (logger_token, collector_token, set_invocation(self))
        except BaseException as exc:
            self._close(exc)
            raise
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._close(exc)

    def invocation(self) -> Invocation:
        """The :class:`~pypwext.observability._context.Invocation` of this run (what ``current_invocation()``
        returns), built on first use."""
        built = self._invocation
        if built is None:
            with _BUILDING:
                built = self._invocation
                if built is None:
                    cls = type(self._svc)
                    since = time.perf_counter() - self.observed.started
                    built = self._invocation = Invocation(
                        cls,
                        self.request,
                        self._context,
                        cls._pypwext_logger,
                        self.collector,
                        self.observed.correlation_id,
                        started=time.monotonic() - since,
                    )
        return built

    def _close(self, escaped: BaseException | None) -> None:
        logger_token, collector_token, invocation_token = self._tokens
        try:
            if invocation_token is not None:
                reset_invocation(invocation_token)
            reset_current_collector(collector_token)
            self.observed.end(self.status if escaped is None else None, escaped)
        finally:
            self._svc._request = None
            reset_current_logger(logger_token)


_BUILDING = threading.Lock()  # one Invocation per run, whichever thread asks first


def given(request: Request) -> Callable[[Any, Any], tuple[Request, Response | None]]:
    """A ``parse`` for :class:`Running` (and ``BaseService._invoke``) that answers with a
    request read before."""
    return lambda _event, _context: (request, None)


def _fallback_request(event: Any, context: Any) -> Request:
    source = detect_source(event)
    return Request(
        source=source,
        method="",
        path="",
        raw_event=event,
        context=context,
        multi_value=isinstance(event, Mapping) and "multiValueHeaders" in event,
    )


def _error_body(errors: list[ServiceError]) -> Any:
    if len(errors) == 1:
        return errors[0].to_dict()
    return [e.to_dict() for e in errors]


def _with_errors(result: Any, errors: list[ServiceError]) -> Any:
    value = None if result is None else codec.unstructure(result)
    if value is None:
        return {"error": _error_body(errors)}
    if isinstance(value, dict):
        return {**value, "error": _error_body(errors)}
    return {"result": value, "error": _error_body(errors)}


def _http_input(request: Request, fields: frozenset[str] | None) -> Any:
    """The data to structure from an HTTP request.

    The JSON body is the input. For an attrs class or dataclass, query parameters then path
    parameters fill the fields the class declares: a body field wins over a query parameter,
    and a path parameter wins over both (the path names the resource).
    """
    if request.body:
        content_type = request.content_type
        if (
            content_type is not None
            and content_type != "application/json"
            and not content_type.endswith("+json")
        ):
            shown = content_type if len(content_type) <= 64 else content_type[:61] + "..."  # never echo much
            raise BadRequest.invalid(
                "unsupported content type", ("", f"expected application/json, got {shown}")
            )
        data = request.json()
    else:
        data = None
    if fields is None:
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return data  # structuring reports "expected an object"
    from_query = [k for k in request.query if k in fields and k not in data]
    from_path = [k for k in request.path_params if k in fields]
    if not from_query and not from_path:
        return data
    merged = {k: request.query[k] for k in from_query}
    merged.update(data)
    merged.update({k: request.path_params[k] for k in from_path})
    return merged


# BaseService's own lifecycle methods get the same wrapping as a subclass's would.
for _name in LIFECYCLE:
    setattr(
        BaseService,
        _name,
        _wrap(
            vars(BaseService)[_name],
            _StepInfo(_name, None, None, None, _stdlib_logging.DEBUG, _location(vars(BaseService)[_name])),
        ),
    )
BaseService._pypwext_dependencies = {}
BaseService._pypwext_operation = "base-service"
BaseService._pypwext_obs = Observability(
    "base-service",
    "base-service",
    InfoClassification.NA,
    LogEntryType.STD,
    "pypwext.runtime._service.BaseService",
)
BaseService._pypwext_logger = BaseService._pypwext_obs.logger
BaseService._pypwext_input_type = Request
BaseService._pypwext_input_fields = None
BaseService._pypwext_event_sources = None
