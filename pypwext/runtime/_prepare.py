"""The class check and :func:`prepare_class`, the metaclass's only work, and ``Handler``, the
Lambda entry point it builds.

:func:`prepare_class` checks the class options and the lifecycle signatures (failing with a
message that says how to fix them), resolves the input type and makes sure the shared converter
can build it, collects the dependency descriptors, wraps the lifecycle methods like ``@step``
helpers, and records all of it in one :class:`~pypwext.runtime._spec.ServiceSpec`
(``cls._pypwext_spec``).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import sys
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from pypwext import _pydantic, codec
from pypwext.base import InfoClassification, LogEntryType
from pypwext.errors import ConfigurationError, ServiceError
from pypwext.observability._summary import Observability
from pypwext.observability.tracing import sdk_available
from pypwext.runtime._spec import Kind, ServiceSpec, below_kind
from pypwext.runtime._step import _unwrap, lifecycle_step
from pypwext.wire._event_classes import event_class_sources
from pypwext.wire._events import Request

if TYPE_CHECKING:
    from pypwext.runtime._dependency import Dependency
    from pypwext.runtime._service import BaseService

__all__ = ["Handler", "prepare_class"]

_ARG_NAMES = {"on_error": "error", "render": "result"}


def _idempotency_types() -> tuple[type, ...]:
    # The idempotency machinery is imported when a class sets the option (most never do): a
    # class that sets it made an Idempotency, so the import is then already done.
    from pypwext.runtime._idempotency import Idempotency

    return (Idempotency, type(None))


def _cors_types() -> tuple[type, ...]:
    # The same for CORS: a class that sets it made a Cors (most HTTP services sit behind a
    # gateway that answers for them).
    from pypwext.runtime._cors import Cors

    return (Cors, type(None))


_OPTION_TYPES: dict[str, tuple[type, ...] | Callable[[], tuple[type, ...]]] = {
    "operation": (str, type(None)),
    "service": (str, type(None)),
    "classification": (InfoClassification,),
    "log_type": (LogEntryType,),
    "status": (int,),
    "just_status_code": (bool,),
    "code_from_error": (bool,),
    "cors": _cors_types,
    "route": (str, type(None)),
    "correlation_id_path": (str, type(None)),
    "tracing": (bool, type(None)),
    "metrics_namespace": (str, type(None)),
    "idempotency": _idempotency_types,
    "raises": (tuple,),
}
"""The class options a service may set, with the types they take (a kind of service adds its
own in its :class:`~pypwext.runtime._spec.Kind`); a function gives the types of an option whose
type is imported only when a class sets it."""

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
            if callable(types):
                types = types()
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


def _input_type(cls: type[BaseService], kind: Kind, declared: bool, localns: Mapping[str, Any] | None) -> Any:
    candidates = kind.input_methods
    defined = set() if declared else _defined_lifecycle(cls, kind)
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


def _defined_lifecycle(cls: type[BaseService], kind: Kind) -> set[str]:
    """The lifecycle methods that a class below BaseService (or the kind's base) defines."""
    found: set[str] = set()
    for klass in below_kind(cls):
        found.update(name for name in kind.lifecycle if name in vars(klass))
    return found


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
    cls: type[BaseService],
    namespace: Mapping[str, Any],
    localns: Mapping[str, Any] | None = None,
    kind: Kind | None = None,
) -> None:
    """Check and equip a service class; the metaclass's only work.

    ``localns`` are the names visible where the class is defined (so that input types defined
    in a function, as tests often do, resolve under ``from __future__ import annotations``).
    ``kind``: the class declares a kind of service (``class BatchService(BaseService,
    kind=BATCH)``); without it, the class is of its base's kind.

    Raises ``TypeError`` with a message that says how to fix a class that cannot work.
    """
    name = cls.__qualname__
    declared = kind is not None
    if kind is None:
        kind = cls._pypwext_spec.kind  # the base's
    lifecycle = kind.lifecycle
    _check_options(name, namespace, lifecycle, kind.options)
    if not declared and kind.check is not None:
        kind.check(cls)
    if not 200 <= cls.status <= 399:
        raise _definition_error(name, f"status must be a success status (200-399), got {cls.status}")
    if cls.route is not None:
        from pypwext._placeholders import parse_route  # (only a class with a route needs it)

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
    declared_deps = sys.modules.get("pypwext.runtime._dependency")  # (no dependency exists before it)
    if declared_deps is not None:
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, declared_deps.Dependency):
                    deps[key] = value

    operation = namespace.get("operation") or cls.operation or _kebab(cls.__name__)
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

    for method_name in lifecycle:
        fn = namespace.get(method_name)
        if fn is not None and not hasattr(fn, "__pypwext_step__"):
            setattr(cls, method_name, lifecycle_step(fn, method_name))

    input_type = _input_type(cls, kind, declared, localns)
    _check_input_type(name, input_type)
    cls._pypwext_spec = ServiceSpec(
        kind=kind,
        declares_kind=declared,
        operation=operation,
        obs=obs,
        logger=obs.logger,
        dependencies=deps,
        input_type=input_type,
        input_fields=_field_names(input_type),
        event_sources=event_class_sources(input_type),
    )
    cls.handler = _ClassOnly(Handler(cls))  # type: ignore[assignment]


def _field_names(input_type: Any) -> frozenset[str] | None:
    if isinstance(input_type, type) and attrs.has(input_type):
        return frozenset(a.alias for a in attrs.fields(input_type))
    if isinstance(input_type, type) and dataclasses.is_dataclass(input_type):
        return frozenset(f.name for f in dataclasses.fields(input_type))
    return _pydantic.field_names(input_type)
