"""Several services behind one Lambda function: :class:`Api`.

Each service class names where it answers with its ``route`` class option
(``route = "GET /orders/{order_id}"``); ``Api(CreateOrder, GetOrder)`` gathers them and its
``handler`` dispatches every HTTP event (REST, HTTP API, Function URL, ALB) by method and path
template:

* **Templates.** A template is a path whose segments are literals (``orders``), parameters
  (``{order_id}``) or, as the last segment only, a greedy parameter (``{path+}``, one or more
  segments). A segment cannot mix literal text and a parameter; names are Python identifiers and
  appear once. ``ANY`` answers every method. A trailing ``/`` in a request path is ignored.
* **Matching.** Among the templates that match the path, the most specific wins (segment by
  segment: a literal beats a parameter, which beats a greedy parameter); within one template, an
  exact method beats ``ANY``. Path parameters are percent-decoded and put into the event's
  ``pathParameters``, where the service finds them: they fill the fields of its input class of
  the same name (and are structured like any field: an ``int`` field takes ``"7"``, a bad value
  is a 400 that names the field), or ``request.path_params``.
* **404** for a path no template matches; **405** with an ``Allow`` header for a path that
  matches with another method. Both answer in the exact format of the source, with PyPwExt's
  error body unless ``Api(..., just_status_code=True)``.
* **HEAD** goes to the ``GET`` service of the path when no service has a ``HEAD`` route, and
  the body is removed from its answer. **OPTIONS** goes to an ``OPTIONS`` (or ``ANY``) route
  when there is one; otherwise a browser's CORS preflight (``Origin`` and
  ``Access-Control-Request-Method``) goes to the service of the requested method, whose ``cors``
  option answers it, and any other ``OPTIONS`` is answered 204 with the ``Allow`` header.
* **Direct invoke** of an Api takes an envelope naming the operation:
  ``{"route": "GET /orders/7", "body": ...}`` (matched like an HTTP request; path parameters are
  added to an object body) or ``{"operation": "get-order", "body": ...}``; the service receives
  ``body`` as its direct event and answers with its direct-invoke document. Anything else is a
  400 document that says so.

Mistakes fail at import: a service without ``route``, a malformed template, two services on the
same method and template shape.

>>> from pypwext import BaseService, Request
>>> class GetOrder(BaseService):
...     route = "GET /orders/{order_id}"
...     def execute(self, request: Request) -> dict[str, str]:
...         return {"id": request.path_params["order_id"]}
>>> api = Api(GetOrder)
>>> handler = api.handler
>>> from pypwext.testing import invoke, api_gateway_event
>>> invoke(handler, api_gateway_event("GET", "/orders/7")).json
{"level":"INFO",...,"message":"GET /orders/7 -> 200",...}
{'id': '7'}
>>> invoke(handler, api_gateway_event("DELETE", "/orders/7")).headers["Allow"]
{"level":"INFO",...,"message":"DELETE /orders/7 -> 405",...}
'GET, HEAD, OPTIONS'
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

import attrs

from pypwext._placeholders import GREEDY as _GREEDY
from pypwext._placeholders import LITERAL as _LITERAL
from pypwext._placeholders import METHODS, Segment, parse_route, path_segments
from pypwext.base import InfoClassification, LogEntryType
from pypwext.errors import BadRequest, NotFound, ServiceError
from pypwext.observability._summary import Observability, reset_routed_template, set_routed_template
from pypwext.runtime._http import fallback_request
from pypwext.runtime._pipeline import given as _already_read
from pypwext.runtime._service import BaseService
from pypwext.wire._events import EventSource, Request, detect_source, parse_request
from pypwext.wire._responses import Response, to_source

__all__ = ["Api", "ApiHandler", "Match", "Route", "parse_template"]


def parse_template(template: str) -> tuple[tuple[str, str], ...]:
    """Check a path template and split it into ``(kind, value)`` segments (kind ``"literal"``,
    ``"param"`` or ``"greedy"``); ``ValueError`` says what is wrong.

    The rule is :func:`pypwext._placeholders.path_segments`, which a service's class applies too.

    >>> parse_template("/orders/{order_id}/items/{rest+}")
    (('literal', 'orders'), ('param', 'order_id'), ('literal', 'items'), ('greedy', 'rest'))
    >>> parse_template("/orders/{id}.json")
    Traceback (most recent call last):
    ...
    ValueError: path template '/orders/{id}.json': segment '{id}.json' mixes text and a parameter; use '/orders/{id}'
    """
    names = ("literal", "param", "greedy")
    return tuple((names[s.kind], s.value) for s in path_segments(template))


@attrs.frozen
class Route:
    """One service's place in an :class:`Api`: ``method``, path ``template`` and ``service``."""

    method: str
    template: str
    service: type[BaseService]
    segments: tuple[Segment, ...] = attrs.field(repr=False)

    @property
    def params(self) -> tuple[str, ...]:
        """The path parameter names, in order."""
        return tuple(s.value for s in self.segments if s.kind != _LITERAL)

    @property
    def operation(self) -> str:
        """The service's operation name."""
        return self.service._pypwext_spec.operation

    @property
    def shape(self) -> tuple[tuple[int, str], ...]:
        """The template with parameter names erased: two routes of one shape are ambiguous."""
        return tuple((s.kind, s.value if s.kind == _LITERAL else "") for s in self.segments)

    @property
    def specificity(self) -> tuple[int, ...]:
        # Literal segments first; more segments beat a greedy match of the same prefix.
        return (*(s.kind for s in self.segments), 3)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` matches the template, else ``None``."""
        parts = _split(path)
        return self._match(parts, [unquote(p) for p in parts])

    def _match(self, parts: list[str], decoded: list[str]) -> dict[str, str] | None:
        """:meth:`match` on a path already split (``parts``) and percent-decoded (``decoded``)."""
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.kind == _GREEDY:
                rest = parts[index:]
                if not rest:
                    return None
                params[segment.value] = unquote("/".join(rest))
                return params
            if index >= len(parts):
                return None
            if segment.kind == _LITERAL:
                if decoded[index] != segment.value:
                    return None
            else:
                params[segment.value] = decoded[index]
        return params if len(parts) == len(self.segments) else None


def _split(path: str) -> list[str]:
    path = path.split("?", 1)[0]
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


class _Index:
    """The routes a path can match, found without trying every route: those whose first segment
    is the path's first (decoded) segment, plus those that start with a parameter (or have no
    segment). Each candidate is then matched by :meth:`Route._match`, the one matching rule;
    the index only leaves out routes whose first literal differs, so it never changes a result."""

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.by_first: dict[str, list[Route]] = {}
        self.other: list[Route] = []
        for route in routes:
            first = route.segments[0] if route.segments else None
            if first is not None and first.kind == _LITERAL:
                self.by_first.setdefault(first.value, []).append(route)
            else:
                self.other.append(route)

    def found(self, path: str) -> list[tuple[Route, dict[str, str]]]:
        """Every route that matches ``path``, with its parameters."""
        parts = _split(path)
        decoded = [unquote(p) for p in parts]
        candidates = self.by_first.get(decoded[0], ()) if decoded else ()
        found = []
        for group in (candidates, self.other):
            for route in group:
                params = route._match(parts, decoded)
                if params is not None:
                    found.append((route, params))
        return found


@attrs.frozen
class Match:
    """The outcome of routing one request: the ``route`` and its ``params``, or ``None`` with
    the methods the path allows (``allowed`` is empty when no template matches the path)."""

    route: Route | None
    params: dict[str, str]
    allowed: tuple[str, ...]


class ApiHandler:
    """The Lambda entry point of an :class:`Api`: ``handler = api.handler``; ``handler.api`` is
    the Api (for tools: the OpenAPI generator, ``pypwext serve``, a template generator)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.__name__ = "handler"
        self.__qualname__ = "Api.handler"
        self.__doc__ = "Lambda entry point of an Api: " + ", ".join(r.operation for r in api.routes)

    def __call__(self, event: Any, context: Any = None) -> Any:
        return self.api.dispatch(event, context)

    def __repr__(self) -> str:
        return f"<pypwext handler of {self.api!r}>"


class Api:
    """Several routed services behind one Lambda function.

    ``Api(CreateOrder, GetOrder)`` or ``Api([CreateOrder, GetOrder])``; a mapping gives the
    route of a class that has none (or another one): ``Api({"POST /orders": CreateOrder})``.
    Expose ``handler = api.handler``. ``just_status_code`` decides whether the Api's own 400/404/405
    answers carry PyPwExt's error body (``False``, the default: a client lost in an API deserves
    a sentence) or only the status. ``title`` and ``version`` name the API in its OpenAPI
    document.

    See the module documentation for the matching rules.
    """

    def __init__(
        self,
        *services: type[BaseService] | Iterable[type[BaseService]] | Mapping[str, type[BaseService]],
        just_status_code: bool = False,
        title: str = "pypwext API",
        version: str = "1.0.0",
    ) -> None:
        flat: list[tuple[type[BaseService], str | None]] = []
        for item in services:
            if isinstance(item, type):
                flat.append((item, None))
            elif isinstance(item, Mapping):
                for route_text, service in item.items():
                    flat.append((service, route_text))
            elif isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
                flat.extend((service, None) for service in item)
            else:
                raise TypeError(f"Api() takes service classes, got {item!r}")
        if not flat:
            raise TypeError("Api() needs at least one service class with a route")
        routes: list[Route] = []
        by_shape: dict[tuple[str, Any], Route] = {}
        for service, given in flat:
            if not (isinstance(service, type) and issubclass(service, BaseService)):
                raise TypeError(f"Api() takes service classes (BaseService subclasses), got {service!r}")
            kind = service._pypwext_spec.kind.source
            if kind is not None:  # a batch, EventBridge or S3 service answers events, not requests
                raise TypeError(
                    f"{service.__qualname__} handles {kind} events, not HTTP requests: an Api routes "
                    "HTTP services only (give it a Lambda function of its own)"
                )
            route_text = given if given is not None else service.route
            if route_text is None:
                raise TypeError(
                    f'{service.__qualname__} has no route: set route = "METHOD /path" on the class '
                    '(or give it here: Api({"GET /path": Service})) to put it in an Api'
                )
            try:
                method, template, segments = parse_route(route_text)
            except ValueError as exc:
                raise ValueError(f"{service.__qualname__}: {exc}") from None
            route = Route(method, template, service, segments)
            key = (method, route.shape)
            other = by_shape.get(key)
            if other is not None:
                same = "the same route" if other.template == template else "routes of the same shape"
                raise ValueError(
                    f"{other.service.__qualname__} ({other.method} {other.template}) and "
                    f"{service.__qualname__} ({method} {template}) are {same}: a request could not "
                    "tell them apart; change one of the paths or methods"
                )
            by_shape[key] = route
            routes.append(route)
        self.routes: tuple[Route, ...] = tuple(routes)
        self._index = _Index(self.routes)
        self.just_status_code = just_status_code
        self.title = title
        self.version = version
        self.handler = ApiHandler(self)
        self._obs = _api_observability(self.routes)

    @property
    def services(self) -> tuple[type[BaseService], ...]:
        """The service classes, in the order given."""
        return tuple(r.service for r in self.routes)

    def __repr__(self) -> str:
        shown = ", ".join(f"{r.method} {r.template}" for r in self.routes)
        return f"Api({shown})"

    def __call__(self, event: Any, context: Any = None) -> Any:
        """The same as ``api.handler(event, context)``."""
        return self.dispatch(event, context)

    # --- routing ------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> Match:
        """Route ``method`` and ``path`` (see the module docs); never raises.

        >>> from pypwext import BaseService, Request
        >>> class Ping(BaseService):
        ...     route = "GET /ping"
        ...     def execute(self, request: Request) -> str:
        ...         return "pong"
        >>> Api(Ping).match("POST", "/ping").allowed
        ('GET', 'HEAD', 'OPTIONS')
        """
        method = method.upper()
        found = self._index.found(path)
        if not found:
            return Match(None, {}, ())
        found.sort(key=lambda pair: pair[0].specificity)
        wanted = [method, "ANY"]
        if method == "HEAD":
            wanted.insert(1, "GET")
        for want in wanted:
            for route, params in found:
                if route.method == want:
                    return Match(route, params, ())
        return Match(None, {}, self._allowed(found))

    @staticmethod
    def _allowed(found: list[tuple[Route, dict[str, str]]]) -> tuple[str, ...]:
        methods = {r.method for r, _ in found}
        if "ANY" in methods:
            return tuple(m for m in METHODS if m != "ANY")
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        return tuple(m for m in METHODS if m in methods)

    def allowed_methods(self, path: str) -> tuple[str, ...]:
        """The methods some service answers at ``path`` (``()`` for an unknown path)."""
        found = self._index.found(path)
        return self._allowed(found) if found else ()

    # --- dispatch -----------------------------------------------------------------------------

    def dispatch(self, event: Any, context: Any = None) -> Any:
        """Run the service that ``event`` is for and return its answer (what ``handler`` does)."""
        source = detect_source(event)
        if source is EventSource.DIRECT:
            return self._direct(event, context)
        try:
            request = parse_request(event, context)
        except BadRequest as bad:
            return self._answer(event, context, fallback_request(event, context), self._error(bad))
        match = self.match(request.method, request.path)
        if match.route is None and request.method == "OPTIONS" and match.allowed:
            return self._options(event, context, request, match.allowed)
        if match.route is None:
            if match.allowed:
                allow = ", ".join(match.allowed)
                err: ServiceError = _not_allowed(request.method, request.path, allow)
            else:
                err = NotFound(f"no route for {request.method} {request.path}")
            return self._answer(event, context, request, self._error(err))
        answer = _run(match.route, request, match.params, context)
        if request.method == "HEAD" and isinstance(answer, dict):
            answer = {**answer, "body": "", "isBase64Encoded": False}
        return answer

    def _options(self, event: Any, context: Any, request: Request, allowed: tuple[str, ...]) -> Any:
        wanted = request.headers.get("access-control-request-method")
        if request.origin is not None and wanted:
            match = self.match(wanted, request.path)
            if match.route is not None and match.route.service.cors is not None:
                return _run(match.route, request, match.params, context)
        return self._answer(event, context, request, Response(204, headers={"Allow": ", ".join(allowed)}))

    def _error(self, err: ServiceError) -> Response:
        body = None if self.just_status_code else {"error": err.to_dict()}
        return Response(err.code, body=body, headers=dict(err.headers), errors=[err])

    def _answer(self, event: Any, context: Any, request: Request, response: Response) -> Any:
        """An answer of the Api's own (no route, method not allowed, an unreadable event, an
        OPTIONS without a service): observed as an invocation, with its summary line."""
        obs = self._obs
        observed = obs.start(event, context)
        observed.begin(request)
        status: int | None = None
        try:
            answer = to_source(response, request)
            status = int(response.status)
            codes = [e.code for e in response.errors]
            obs.summary(request, status, codes, observed.started, from_source=False)
            return answer
        finally:
            observed.end(status)

    def _direct(self, event: Any, context: Any) -> Any:
        request = parse_request(event, context)
        keys = set(event) if isinstance(event, Mapping) else set()
        if not (
            keys and keys <= {"route", "operation", "body"} and ("route" in keys) != ("operation" in keys)
        ):
            err: ServiceError = BadRequest(
                'a direct invoke of an Api takes {"route": "METHOD /path", "body": ...} or '
                '{"operation": "name", "body": ...}',
                details={"operations": sorted(r.operation for r in self.routes)},
            )
            return self._answer(event, context, request, self._error(err))
        body = event.get("body")
        if "operation" in event:
            route = next((r for r in self.routes if r.operation == event["operation"]), None)
            if route is None:
                err = NotFound(f"no operation {event['operation']!r} in this Api")
                return self._answer(event, context, request, self._error(err))
            return route.service.handler(body, context)
        method, _, path = str(event["route"]).partition(" ")
        match = self.match(method, path)
        if match.route is None:
            if match.allowed:
                allow = ", ".join(match.allowed)
                err = _not_allowed(method, path, allow)
            else:
                err = NotFound(f"no route for {event['route']}")
            return self._answer(event, context, request, self._error(err))
        if match.params and (body is None or isinstance(body, Mapping)):
            body = {**(body or {}), **match.params}
        token = set_routed_template(match.route.template)
        try:
            return match.route.service.handler(body, context)
        finally:
            reset_routed_template(token)


def _run(route: Route, request: Request, params: dict[str, str], context: Any) -> Any:
    """The routed service's answer to the HTTP ``request`` the Api read, with the path
    ``params`` of its template (in the event's ``pathParameters`` too, where the service, and
    anything that reads the raw event, finds them); its log lines show the matched template.
    The request is handed to the service, which does not read the event again."""
    if params:
        event = _with_params(request.raw_event, params)
        request = attrs.evolve(request, path_params={**request.path_params, **params}, raw_event=event)
    token = set_routed_template(route.template)
    try:
        return route.service()._invoke(request.raw_event, context, _already_read(request))
    finally:
        reset_routed_template(token)


def _api_observability(routes: tuple[Route, ...]) -> Observability:
    """What observes the Api's own answers: the services' common name (else
    ``POWERTOOLS_SERVICE_NAME``, else ``api``), operation ``api``, and the most protective
    classification among the routed services (a PII service's Api logs no concrete path)."""
    names = {r.service._pypwext_spec.logger.service for r in routes}
    service = names.pop() if len(names) == 1 else os.environ.get("POWERTOOLS_SERVICE_NAME") or "api"
    classes = [r.service.classification for r in routes]
    classification = next(
        (c for c in (InfoClassification.PII, InfoClassification.AUTHORIZATION_INFO) if c in classes),
        InfoClassification.NA,
    )
    return Observability(
        service, "api", classification, LogEntryType.STD, "pypwext.runtime._routes.Api", tracing=False
    )


def _not_allowed(method: str, path: str, allow: str) -> ServiceError:
    return ServiceError(
        f"{method} is not allowed on {path}; allowed: {allow}", code=405, headers={"Allow": allow}
    )


def _with_params(event: Any, params: dict[str, str]) -> Any:
    if not params:
        return event
    existing = event.get("pathParameters")
    merged = {**(existing if isinstance(existing, Mapping) else {}), **params}
    return {**event, "pathParameters": merged}
