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

import attrs

from pypwext.observability.logging import ServiceLogger
from pypwext.wire._events import EventSource

if TYPE_CHECKING:
    from pypwext.observability._summary import Observability
    from pypwext.runtime._dependency import Dependency

__all__ = ["HTTP", "LIFECYCLE", "Kind", "ServiceSpec", "below_kind", "spec_of"]

LIFECYCLE = ("validate", "execute", "on_error", "render")
"""The lifecycle methods of an HTTP/direct service."""


@attrs.frozen
class Kind:
    """What a kind of service declares: its ``lifecycle`` methods (wrapped with logging and
    error collection), the ``input_methods`` whose parameter's annotation is the input type
    (the first one a class defines, else the last), its own class ``options`` (name -> the types
    they take), a ``check(cls)`` of a class below the kind's base (raises ``TypeError``), and
    the ``source`` its summary line names (``None``: the request's source)."""

    lifecycle: tuple[str, ...] = LIFECYCLE
    input_methods: tuple[str, ...] = ("validate", "execute")
    options: Mapping[str, tuple[type, ...]] = attrs.field(factory=dict)
    check: Callable[[type], None] | None = None
    source: str | None = None

    def but(self, **changes: Any) -> Kind:
        """This kind with ``changes`` (a narrower kind: ``SQS = BATCH.but(source="sqs")``)."""
        return attrs.evolve(self, **changes)


HTTP = Kind()
"""The kind of :class:`~pypwext.BaseService` itself: HTTP and direct invocations."""


@attrs.frozen
class ServiceSpec:
    """Everything :func:`~pypwext.runtime.prepare_class` worked out about one service class."""

    kind: Kind
    declares_kind: bool
    """Whether this class declared its kind (a kind's base: the lifecycle below it is the user's)."""
    operation: str
    obs: Observability
    logger: ServiceLogger
    dependencies: Mapping[str, Dependency[Any]]
    input_type: Any
    input_fields: frozenset[str] | None
    event_sources: tuple[EventSource, ...] | None
    """The sources of a Powertools event data class annotated as the input, else ``None``."""


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
