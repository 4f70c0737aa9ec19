"""What a service class is, decided once at import: its kind (:class:`Kind`) and its
:class:`ServiceSpec`, the one class attribute (``cls._pypwext_spec``) :func:`prepare_class` sets.

A kind of service (an HTTP service, a batch, an EventBridge or an S3 service) declares what it
needs -- its lifecycle methods, the methods whose parameter types the input, its own class
options and checks, the source its summary line names -- with a class keyword on its base class
(``class BatchService(BaseService, kind=BATCH)``); every class below inherits it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pypwext.observability.logging import ServiceLogger
from pypwext.wire._events import EventSource

if TYPE_CHECKING:
    from pypwext.observability._summary import Observability
    from pypwext.runtime._dependency import Dependency

__all__ = ["HTTP", "LIFECYCLE", "Kind", "ServiceSpec", "below_kind", "spec_of"]

LIFECYCLE = ("validate", "execute", "on_error", "render")
"""The lifecycle methods of an HTTP/direct service."""


class Kind:
    """What a kind of service declares: its ``lifecycle`` methods (wrapped with logging and
    error collection), the ``input_methods`` whose parameter's annotation is the input type
    (the first one a class defines, else the last), its own class ``options`` (name -> the types
    they take), a ``check(cls)`` of a class below the kind's base (raises ``TypeError``), and
    the ``source`` its summary line names (``None``: the request's source)."""

    __slots__ = ("check", "input_methods", "lifecycle", "options", "source")

    def __init__(
        self,
        lifecycle: tuple[str, ...] = LIFECYCLE,
        input_methods: tuple[str, ...] = ("validate", "execute"),
        options: Mapping[str, tuple[type, ...]] | None = None,
        check: Callable[[type], None] | None = None,
        source: str | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.input_methods = input_methods
        self.options: Mapping[str, tuple[type, ...]] = {} if options is None else options
        self.check = check
        self.source = source

    def but(self, **changes: Any) -> Kind:
        """This kind with ``changes`` (a narrower kind: ``SQS = BATCH.but(source="sqs")``)."""
        return Kind(**{**{name: getattr(self, name) for name in Kind.__slots__}, **changes})

    def __repr__(self) -> str:
        return f"Kind(lifecycle={self.lifecycle!r}, source={self.source!r})"


HTTP = Kind()
"""The kind of :class:`~pypwext.BaseService` itself: HTTP and direct invocations."""


class ServiceSpec:
    """Everything :func:`~pypwext.runtime.prepare_class` worked out about one service class
    (read-only once made): its ``kind``; whether the class ``declares_kind`` (a kind's base:
    the lifecycle below it is the user's); its ``operation`` name, ``obs`` and ``logger``; its
    ``dependencies``; its ``input_type`` and that type's ``input_fields``; and the
    ``event_sources`` of a Powertools event data class annotated as the input, else ``None``.

    Kind, ServiceSpec and the pipeline's other class-time records are plain classes, not attrs
    classes: they are defined on every cold start, where an attrs class costs about half a
    millisecond to define (issue 18).
    """

    __slots__ = (
        "declares_kind",
        "dependencies",
        "event_sources",
        "input_fields",
        "input_type",
        "kind",
        "logger",
        "obs",
        "operation",
    )

    def __init__(
        self,
        *,
        kind: Kind,
        declares_kind: bool,
        operation: str,
        obs: Observability,
        logger: ServiceLogger,
        dependencies: Mapping[str, Dependency[Any]],
        input_type: Any,
        input_fields: frozenset[str] | None,
        event_sources: tuple[EventSource, ...] | None,
    ) -> None:
        self.kind = kind
        self.declares_kind = declares_kind
        self.operation = operation
        self.obs = obs
        self.logger = logger
        self.dependencies = dependencies
        self.input_type = input_type
        self.input_fields = input_fields
        self.event_sources = event_sources

    def __repr__(self) -> str:
        return f"ServiceSpec(operation={self.operation!r}, kind={self.kind!r})"


def spec_of(cls: type) -> ServiceSpec | None:
    """The spec of a service class (``None`` for any other class)."""
    spec = getattr(cls, "_pypwext_spec", None)
    return spec if isinstance(spec, ServiceSpec) else None


def below_kind(cls: type) -> list[type]:
    """``cls`` and its bases below the nearest class that declared its kind: the classes whose
    code is the user's (``BaseService`` declares the HTTP kind)."""
    out: list[type] = []
    for klass in cls.__mro__:
        own = vars(klass).get("_pypwext_spec")
        if klass is object or (isinstance(own, ServiceSpec) and own.declares_kind):
            break
        out.append(klass)
    return out
