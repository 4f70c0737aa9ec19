"""``BaseService`` and its metaclass: the HTTP (and direct) service and its lifecycle.

The metaclass runs :func:`~pypwext.runtime._prepare.prepare_class` once per class, at import;
``BaseService`` reads the request into the input type, runs ``validate``, ``execute``,
``on_error`` and ``render``, and writes the answer the event source expects. Everything else is
ordinary Python.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attrs

from pypwext import codec
from pypwext.base import InfoClassification, LogEntryType
from pypwext.errors import BadRequest, ErrorCollector, InternalError, ServiceError, drop_tracebacks
from pypwext.observability._metrics import ServiceMetrics
from pypwext.observability._summary import Observability
from pypwext.observability.logging import ServiceLogger, remember_input
from pypwext.runtime._http import error_body, fallback_request, http_document, http_input, with_errors
from pypwext.runtime._pipeline import Failures, Running, recover, run_lifecycle
from pypwext.runtime._prepare import Handler, prepare_class
from pypwext.runtime._spec import HTTP, LIFECYCLE, Kind, ServiceSpec
from pypwext.runtime._step import lifecycle_step, step
from pypwext.wire._event_classes import event_input
from pypwext.wire._events import EventSource, Request, parse_request
from pypwext.wire._responses import Response, to_source

if TYPE_CHECKING:  # imported when a class sets the option: most services never do
    from pypwext.runtime._cors import Cors
    from pypwext.runtime._idempotency import Idempotency

__all__ = ["BaseService", "Handler", "ServiceMeta", "prepare_class", "step"]


class ServiceMeta(type):
    """The metaclass of services: runs :func:`prepare_class` once per class, at import.

    A kind of service declares itself with the class keyword ``kind`` (a
    :class:`~pypwext.runtime._spec.Kind`): ``class BatchService(BaseService, kind=BATCH)``.
    """

    def __new__(
        mcs,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        kind: Kind | None = None,
        **kwargs: Any,
    ) -> ServiceMeta:
        return super().__new__(mcs, name, bases, namespace, **kwargs)

    def __init__(
        cls,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        kind: Kind | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, bases, namespace, **kwargs)
        if bases:  # BaseService itself is prepared below, once its methods exist
            definer = sys._getframe(1)  # where the class statement runs
            prepare_class(cast("type[BaseService]", cls), namespace, definer.f_locals, kind)


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
    _pypwext_spec: ClassVar[ServiceSpec]  # what prepare_class worked out: the one pypwext attribute

    def __init__(self, **overrides: Any) -> None:
        known = type(self)._pypwext_spec.dependencies
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
        return type(self)._pypwext_spec.logger

    @property
    def metrics(self) -> ServiceMetrics:
        """The service's metrics (Powertools' EMF API: ``self.metrics.add_metric(name=..., unit=...,
        value=...)``), flushed at the end of each invocation when a namespace is configured."""
        return type(self)._pypwext_spec.obs.metrics

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
                body = with_errors(result, collected)
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
                self.logger.failure(cls._pypwext_spec.operation, "unhandled error", exc, cls.classification)
                raise
            run.status = response.status
            self._summarise(request, response, run.observed.started)
            return answer

    def _parse(self, event: Any, context: Any) -> tuple[Request, Response | None]:
        try:
            return parse_request(event, context), None
        except BadRequest as err:  # an event the source adapter cannot read (bad base64, ...)
            return fallback_request(event, context), self._error_response(err)

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
            result = run_lifecycle(
                self,
                self.execute,
                request,
                None,
                self._structure_input,
                http_document,
                _HTTP_FAILURES,
                "unexpected error",
            )
        except Exception as exc:  # what on_error raised, written by the pipeline
            return self._written(self._error_response(_answered(exc)), request)
        try:
            response = self.render(result)
            try:
                return self._write(response, request)
            except Exception as exc:  # a body that cannot be encoded, a header with CR/LF...
                unwritable = exc
            try:
                result = recover(self, unwritable, _HTTP_FAILURES, "the answer cannot be written")
            except Exception as exc:  # what on_error raised, written by the pipeline
                return self._written(self._error_response(_answered(exc)), request)
            return self._write(self.render(result), request)
        except Exception as exc:  # render raised, or the answer on_error gave cannot be written
            _http_failed(self, exc, None, "", {})
            return self._written(self._error_response(_answered(exc)), request)

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
                cls._pypwext_spec.operation, "the answer cannot be written", exc, cls.classification
            )
            return self._write(self._error_response(InternalError(), alone=True), request)

    def _structure_input(self, request: Request) -> Any:
        cls = type(self)
        spec = cls._pypwext_spec
        target = spec.input_type
        if target is Request:
            return request
        if spec.event_sources is not None:  # a Powertools event data class
            return event_input(cls.__qualname__, target, spec.event_sources, request)
        if request.source is EventSource.DIRECT:
            data = request.json()
        else:
            data = http_input(request, spec.input_fields)
        if target in (Any, object):
            return data
        try:
            return remember_input(codec.structure(data, target), cls.classification)
        except codec.InputError as exc:
            details = exc.details()
        raise BadRequest("invalid request", details=details)  # (outside: nothing chained to it)

    def _error_response(self, error: ServiceError, *, alone: bool = False) -> Response:
        """The answer for ``error`` (after the collected errors; ``alone``: without them, when
        one of them may be what could not be written). The answer holds ``error``, whose
        traceback would tie it in a reference cycle to the frames it went through: dropped."""
        drop_tracebacks(error)
        errors = [error] if alone else [*self._errors.errors, error]
        body = None
        if not type(self).just_status_code:
            body = {"error": error_body(errors)}
        return Response(error.code, body=body, headers=dict(error.headers), errors=errors)

    def _summarise(self, request: Request, response: Response, started: float) -> None:
        """The one INFO line per invocation (for an AUDIT service: its audit entry, at any level),
        by the one writer that the event-driven kinds (:func:`pypwext.runtime._pipeline.run_invocation`)
        and an Api's own answers use too (:meth:`pypwext.observability._summary.Observability.summary`)."""
        cls = type(self)
        codes = [e.code for e in response.errors] if response.errors else []
        cls._pypwext_spec.obs.summary(request, int(response.status), codes, started, cls.route)


def _answered(exc: BaseException) -> ServiceError:
    """The error an HTTP service answers with for ``exc``: itself, or the generic 500."""
    return exc if isinstance(exc, ServiceError) else InternalError()


def _http_failed(
    svc: BaseService,
    error: BaseException,
    unexpected: BaseException | None,
    message: str,
    fields: Mapping[str, Any],
) -> None:
    """An HTTP service's failure lines: the unexpected exception's traceback (``message``), and
    what ``on_error`` raised instead of it when that is a 5xx or not a ``ServiceError`` (a 4xx
    is an answer, not a failure)."""
    cls = type(svc)
    spec = cls._pypwext_spec
    if unexpected is not None:
        spec.logger.failure(spec.operation, message, unexpected, cls.classification)
        if error is unexpected:
            return
    if isinstance(error, ServiceError):
        if error.code >= 500:
            spec.logger.failure(spec.operation, f"{error.code} {error.msg}", error, cls.classification)
    else:
        spec.logger.failure(spec.operation, "unexpected error while rendering", error, cls.classification)


def _http_handled(
    svc: BaseService, unexpected: BaseException, message: str, fields: Mapping[str, Any]
) -> None:
    """An unexpected exception ``on_error`` answered for: its traceback, once."""
    cls = type(svc)
    spec = cls._pypwext_spec
    spec.logger.failure(spec.operation, message, unexpected, cls.classification)


_HTTP_FAILURES = Failures(_http_failed, _http_handled, Exception)


# BaseService's own lifecycle methods get the same wrapping as a subclass's would.
for _name in LIFECYCLE:
    setattr(BaseService, _name, lifecycle_step(vars(BaseService)[_name], _name))
_BASE_OBS = Observability(
    "base-service",
    "base-service",
    InfoClassification.NA,
    LogEntryType.STD,
    "pypwext.runtime._service.BaseService",
)
BaseService._pypwext_spec = ServiceSpec(
    kind=HTTP,
    declares_kind=True,
    operation="base-service",
    obs=_BASE_OBS,
    logger=_BASE_OBS.logger,
    dependencies={},
    input_type=Request,
    input_fields=None,
    event_sources=None,
)
