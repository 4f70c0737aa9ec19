"""What the event-driven kinds of service share (batch, EventBridge, S3): one invocation's
scaffolding and the pipeline of one item.

An item (a queue message, a stream record, an EventBridge event, a row of an S3 object) goes
through the same steps as an HTTP request does: structure into the type annotated on the kind's
input method, ``validate``, the kind's main method (``execute`` or ``process_record``, under
the class's ``idempotency`` when set), and ``on_error`` when one of them raised. What differs
per kind is only what happens to a failure: a batch reports the record, EventBridge re-raises.

One rule for every kind: an item that fails writes exactly one ERROR line (with the item's id
and, for an unexpected exception, its traceback), written here, never by the kind.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pypwext import codec
from pypwext.errors import BadRequest, InternalError, ServiceError
from pypwext.observability.logging import remember_input
from pypwext.wire._events import EventSource, Request

if TYPE_CHECKING:
    from pypwext.runtime._service import BaseService

__all__ = [
    "DecodeError",
    "event_request",
    "failure_code",
    "log_failure",
    "run_invocation",
    "run_item",
    "structure_item",
]


class DecodeError(BadRequest):
    """An item whose payload cannot be read (not base64, not UTF-8, not JSON, no image)."""


def event_request(event: Any, context: Any) -> Request:
    """A :class:`Request` that wraps a non-HTTP event without re-encoding it."""
    request_id = getattr(context, "aws_request_id", None) if context is not None else None
    return Request(
        source=EventSource.DIRECT,
        method="INVOKE",
        path="",
        raw_event=event,
        context=context,
        request_id=request_id if isinstance(request_id, str) else None,
    )


def failure_code(exc: BaseException) -> int:
    """The status a failure counts as in the summary: a :class:`~pypwext.ServiceError`'s code,
    500 for anything else."""
    return int(exc.code) if isinstance(exc, ServiceError) else 500


def run_invocation(
    svc: BaseService,
    event: Any,
    context: Any,
    body: Callable[[Request], tuple[Any, dict[str, Any], int]],
) -> Any:
    """Run ``body(request)`` as one invocation of ``svc``: a fresh collector, the service's
    logger as the current one, the :class:`~pypwext.observability._context.Invocation` installed (so threads
    started with ``contextvars.copy_context()`` share them), and the summary line at the end,
    written by the same writer as an HTTP service's (``Observability.summary``: for an AUDIT
    service, the audit entry at any level, with its ``outcome``).

    ``body`` returns ``(answer, summary fields, status)``: the status is 200, or the highest
    code of the items that failed (so an AUDIT entry says ``failure``). An exception it raises
    is re-raised after the summary line (``failed: true``, its code as the status) was written.
    """
    from pypwext.runtime._pipeline import Running

    fields: dict[str, Any] = {}
    status = 200
    with Running(svc, event, context, _no_early_answer) as run:
        try:
            answer, fields, status = body(run.request)
        except BaseException as exc:
            fields = {**fields, "failed": True}
            status = failure_code(exc)
            raise
        finally:
            cls = type(svc)
            spec = cls._pypwext_spec
            spec.obs.summary(
                run.request,
                status,
                [e.code for e in svc._errors.errors],
                run.observed.started,
                cls.route,
                source=spec.kind.source or "event",
                extra=fields,
            )
        run.status = 200
        return answer


def _no_early_answer(event: Any, context: Any) -> tuple[Request, None]:
    return event_request(event, context), None


def structure_item(svc: BaseService, payload: Any) -> Any:
    """``payload`` structured into the service's input type; :class:`~pypwext.BadRequest` with
    every problem by path when it does not fit."""
    target = type(svc)._pypwext_spec.input_type
    if target in (Any, object, Request) or (
        isinstance(target, type) and not typing.get_args(target) and isinstance(payload, target)
    ):
        return payload
    try:
        return remember_input(codec.structure(payload, target), type(svc).classification)
    except codec.InputError as exc:
        raise BadRequest("invalid record", details=exc.details()) from None


def run_item(
    svc: BaseService,
    main: str,
    load: Callable[[], Any],
    document: Callable[[Any], dict[str, Any]] | None = None,
    message: str = "record failed",
    *,
    finish: Callable[[Any], Any] | None = None,
    **fields: Any,
) -> Any:
    """One item through the lifecycle: ``load()`` the payload, structure it, ``validate``, then
    ``main`` (under the class's idempotency, keyed on ``document(payload)``, whose ``body``
    :meth:`~pypwext.runtime._idempotency.Idempotency.run` replaces with the structured input's JSON form); ``on_error`` sees any failure (an unexpected exception,
    ``BaseException`` included, wrapped in an :class:`~pypwext.InternalError`).

    Returns the result (or what ``on_error`` returned), or raises what ``on_error`` raised --
    the original exception when ``on_error`` re-raised the wrapper untouched -- after writing
    the item's one ERROR line: ``message`` with ``fields`` (the item's id). An unexpected
    exception that ``on_error`` handled is logged too (once, with its traceback).
    ``KeyboardInterrupt`` skips ``on_error``: it is logged and re-raised. ``finish`` turns
    ``main``'s result into the answer (an event's JSON form) inside the same protection, so a
    result that cannot be encoded fails the item like any other error.
    """
    cls = type(svc)
    method = getattr(svc, main)
    try:
        payload = load()
        data = structure_item(svc, payload)
        validated = svc.validate(data)
        idem = cls.idempotency
        run = method if finish is None else (lambda data: finish(method(data)))
        if idem is None:
            return run(validated)
        doc = document(payload) if document is not None else {"body": payload}
        return idem.run(cls, doc, lambda: run(validated), svc.context, data=validated)
    except KeyboardInterrupt as exc:
        log_failure(svc, message, exc, **fields)
        raise
    except BaseException as exc:
        unexpected = None if isinstance(exc, ServiceError) else exc
        error = exc if isinstance(exc, ServiceError) else InternalError()
        if unexpected is not None:
            error.__cause__ = unexpected
        try:
            result = svc.on_error(error)
        except BaseException as raised:
            shown = unexpected if raised is error and unexpected is not None else raised
            log_failure(
                svc,
                message,
                shown,
                with_traceback=unexpected is not None or not isinstance(shown, ServiceError),
                **fields,
            )
            if shown is unexpected:
                raise shown from None
            raise
        if unexpected is not None:
            log_failure(svc, "unexpected error handled by on_error", unexpected, **fields)
        return result


def log_failure(
    svc: BaseService,
    message: str,
    exc: BaseException,
    *,
    with_traceback: bool | None = None,
    **fields: Any,
) -> None:
    """One ERROR line for a failed item, with the item's identity in ``fields`` (``record_id``,
    ``line``...) beside the service's usual fields; the traceback unless ``exc`` is an expected
    :class:`~pypwext.ServiceError` (or ``with_traceback`` says otherwise)."""
    cls = type(svc)
    cls._pypwext_spec.logger.failure(
        cls._pypwext_spec.operation,
        message,
        exc,
        cls.classification,
        cls.log_type,
        with_traceback=not isinstance(exc, ServiceError) if with_traceback is None else with_traceback,
        **fields,
    )
