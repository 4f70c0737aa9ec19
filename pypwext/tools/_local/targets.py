"""What ``pypwext serve`` and ``pypwext openapi`` serve: a :class:`Project` loaded from
``FILE_OR_MODULE[:ATTR]``.

* ``ATTR`` names a service class, a service's handler, an :class:`~pypwext.runtime._routes.Api` (or its
  handler) or any ``handler(event, context)`` function.
* Without ``ATTR``, the module is searched for every ``Api``, every service class *defined in
  that module* and every module-level service handler; a plain function is taken only when it is
  called ``handler`` or ``lambda_handler``. Services that are only imported into the module are
  served when an ``Api`` of the module holds them.

Every routed service (its own, or in an ``Api``) joins one combined ``Api`` that answers the
HTTP requests. Without any route, a single function answers every HTTP request; several
unrouted functions are reachable only through the Invoke API.

Invoke API names (``POST /2015-03-31/functions/{name}/invocations``): a service by its
``operation`` (``create-order``) and by its class name; an ``Api`` by its attribute name in the
module (``api``, taking the Api's direct-invoke envelope); a plain function by its name.

What the server's own log may show follows the services: when one of them is classified PII or
AUTHORIZATION_INFO, an access line to a route of such a service shows the route template
(``/customers/{id}``), one to a path no route matches (or one the server refuses) a mask --
never the concrete path or the query (:meth:`Project.shown_path`); the other routes show theirs. The HTTP source to emulate,
when ``--source`` is not given, follows the input type of the services that answer HTTP
(:attr:`Project.source`: a Powertools ``APIGatewayProxyEventV2`` reads ``http-api`` events).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from pypwext.observability.logging import MASK, is_masked
from pypwext.runtime._routes import Api, ApiHandler, Route
from pypwext.runtime._service import BaseService, Handler
from pypwext.tools._loader import TargetError, load_module, resolve_attribute

__all__ = ["Function", "Project", "TargetError", "load_module", "load_project", "project_of"]


@attrs.frozen
class Function:
    """One function the local server hosts: its Invoke API ``names`` and its ``handler``."""

    names: tuple[str, ...]
    handler: Callable[[Any, Any], Any]
    service: type[BaseService] | None = None
    api: Api | None = None


@attrs.frozen
class Project:
    """Everything one target serves."""

    functions: tuple[Function, ...]
    api: Api | None
    """The combined Api of every routed service (``None`` when nothing has a route)."""
    http: Callable[[Any, Any], Any] | None
    """What answers HTTP requests: the combined Api's handler or the only function."""
    mask: str | None = None
    """What an access line shows for a path no route template names, when a service is
    classified PII or AUTHORIZATION_INFO (``None``: the concrete path may be shown)."""
    source: str | None = None
    """The HTTP source the services that answer HTTP read (from their Powertools event data
    class); ``None`` when their input types do not say."""
    source_conflict: str | None = None
    """Why no source could be picked although input types name some (they disagree)."""

    def shown_path(self, route: Route | None) -> str | None:
        """What the server's access line shows, in place of the concrete path and query, for a
        request the combined Api routed to ``route`` (``None``: no route matched; the caller
        matched once, :func:`pypwext.tools._local.worker` for the operation too): ``None`` when
        they may be shown (no service is classified PII or AUTHORIZATION_INFO, or the route
        belongs to a service that is not); the route's template when its service is
        (``/customers/{id}``); else -- a path no route matches, in a target that holds such a
        service -- the mask."""
        if self.mask is None:
            return None
        if route is not None:
            return route.template if is_masked(route.service.classification) else None
        return self.mask

    def function(self, name: str) -> Function | None:
        """The function the Invoke API calls ``name``."""
        return next((f for f in self.functions if name in f.names), None)

    @property
    def names(self) -> list[str]:
        """Every Invoke API name."""
        return [n for f in self.functions for n in f.names]


def load_project(target: str) -> Project:
    """Load ``FILE_OR_MODULE[:ATTR]`` into a :class:`Project` (see the module docs)."""
    spec, _, attr = target.partition(":")
    module = load_module(spec)
    if attr:
        obj = resolve_attribute(module, spec, attr)
        return project_of({attr.rsplit(".", 1)[-1]: obj})
    found: dict[str, Any] = {}
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        is_service = (
            isinstance(value, type)
            and issubclass(value, BaseService)
            and value.__module__ == module.__name__
            and "execute" in _defined(value)
        )
        is_handler = name in ("handler", "lambda_handler") and callable(value)
        if isinstance(value, (Api, ApiHandler, Handler)) or is_service or is_handler:
            found[name] = value
    if not found:
        raise TargetError(
            f"{spec} holds nothing to serve: no Api, no service class defined in it, no handler"
        )
    return project_of(found)


def _defined(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is BaseService:
            break
        names.update(vars(klass))
    return names


def project_of(objects: dict[str, Any]) -> Project:
    """A :class:`Project` of named objects (services, handlers, Apis, functions)."""
    functions: list[Function] = []
    seen_services: set[type[BaseService]] = set()
    routed: dict[str, type[BaseService]] = {}
    first_api: Api | None = None

    def add_service(service: type[BaseService], own_route: bool = True) -> None:
        if service in seen_services:
            return
        seen_services.add(service)
        names = tuple(dict.fromkeys((service._pypwext_spec.operation, service.__name__)))
        functions.append(Function(names, service.handler, service=service))
        if own_route and service.route is not None:
            add_route(service.route, service)

    def add_route(route: str, service: type[BaseService]) -> None:
        other = routed.get(route)
        if other is not None and other is not service:
            raise TargetError(f"{other.__qualname__} and {service.__qualname__} both answer {route}")
        routed[route] = service

    for name, obj in objects.items():
        if isinstance(obj, ApiHandler):
            obj = obj.api
        if isinstance(obj, Handler):
            obj = obj.service_class
        if isinstance(obj, Api):
            first_api = first_api or obj
            known = next((i for i, f in enumerate(functions) if f.api is obj), None)
            if known is not None:
                functions[known] = attrs.evolve(functions[known], names=(*functions[known].names, name))
                continue
            functions.append(Function((name,), obj.handler, api=obj))
            for route in obj.routes:
                add_service(route.service, own_route=False)
                add_route(f"{route.method} {route.template}", route.service)
        elif isinstance(obj, type) and issubclass(obj, BaseService):
            add_service(obj)
        elif isinstance(obj, BaseService):
            add_service(type(obj))
        elif callable(obj) and not isinstance(obj, type):
            functions.append(Function((name,), obj))
        else:
            raise TargetError(
                f"{name} is not something to serve: {type(obj).__name__} (expected a service class, "
                "an Api, or a handler function)"
            )
    names: dict[str, Function] = {}
    for function in functions:
        for fname in function.names:
            if fname in names and names[fname] is not function:
                raise TargetError(f"two functions are called {fname!r}; give one of them another operation")
            names[fname] = function
    api: Api | None = None
    if routed:
        options = first_api or Api(routed)
        try:
            api = Api(
                routed,
                just_status_code=options.just_status_code,
                title=options.title,
                version=options.version,
            )
        except (TypeError, ValueError) as exc:
            raise TargetError(str(exc)) from None
    http: Callable[[Any, Any], Any] | None
    if api is not None:
        http = api.handler
    elif len(functions) == 1:
        http = functions[0].handler
    else:
        http = None
    services = [f.service for f in functions if f.service is not None]
    masked = [s.classification for s in services if is_masked(s.classification)]
    mask = MASK.format(classification=masked[0].value) if masked else None
    answering = list(routed.values()) if api is not None else services if http is not None else []
    source, conflict = _http_source(answering)
    return Project(tuple(functions), api, http, mask, source, conflict)


def _http_source(services: list[type[BaseService]]) -> tuple[str | None, str | None]:
    """The source the services answering HTTP read, from their Powertools event data classes
    (as :func:`pypwext.wire._event_classes.event_class_sources` found them when each class was
    defined), and why none when they disagree."""
    reads: dict[str, tuple[str, ...]] = {}
    for service in services:
        sources = service._pypwext_spec.event_sources  # what the class check found in its input type
        if sources is not None and sources[0].is_http:
            reads[service.__qualname__] = tuple(s.value for s in sources)
    if not reads:
        return None, None
    first = next(iter(reads.values()))
    common = [s for s in first if all(s in other for other in reads.values())]
    if common:
        return common[0], None
    said = "; ".join(f"{name} reads {' or '.join(values)}" for name, values in reads.items())
    return None, f"the services' input types read different sources ({said}); pass --source"
