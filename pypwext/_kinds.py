"""What the event-driven kinds of service share (batch, EventBridge, S3): one invocation's
scaffolding and the pipeline of one item.

An item (a queue message, a stream record, an EventBridge event, a row of an S3 object) goes
through the same steps as an HTTP request does: structure into the type annotated on the kind's
input method, ``validate``, the kind's main method (``execute`` or ``process_record``, under
the class's ``idempotency`` when set), and ``on_error`` when one of them raised. What differs
per kind is only what happens to a failure: a batch reports the record, EventBridge re-raises.
"""

from __future__ import annotations

import logging as _stdlib_logging
import time
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pypwext import codec
from pypwext.errors import BadRequest, InternalError, ServiceError
from pypwext.events import EventSource, Request

if TYPE_CHECKING:
    from pypwext.service import BaseService

__all__ = ["DecodeError", "event_request", "log_failure", "run_invocation", "run_item", "structure_item"]


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


def run_invocation(
    svc: BaseService,
    event: Any,
    context: Any,
    body: Callable[[Request], tuple[Any, dict[str, Any]]],
) -> Any:
    """Run ``body(request)`` as one invocation of ``svc``: a fresh collector, the service's
    logger as the current one, the :class:`~pypwext.context.Invocation` installed (so threads
    started with ``contextvars.copy_context()`` share them), and the summary line at the end.

    ``body`` returns ``(answer, summary fields)``; an exception it raises is re-raised after the
    summary line (with ``failed: true``) was written.
    """
    from pypwext.service import Running

    fields: dict[str, Any] = {}
    with Running(svc, event, context, _no_early_answer) as run:
        try:
            answer, fields = body(run.request)
        except BaseException:
            fields = {**fields, "failed": True}
            raise
        finally:
            _summarise(svc, fields, run.observed.started)
        run.status = 200
        return answer


def _no_early_answer(event: Any, context: Any) -> tuple[Request, None]:
    return event_request(event, context), None


def _summarise(svc: BaseService, fields: dict[str, Any], started: float) -> None:
    cls = type(svc)
    logger = cls._pypwext_logger
    if not logger.is_enabled(_stdlib_logging.INFO):
        return
    logger.summary(
        cls._pypwext_operation,
        cls.classification,
        cls.log_type,
        source=getattr(cls, "_pypwext_source_name", "event"),
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
        errors=[e.code for e in svc._errors.errors],
        **fields,
    )


def structure_item(svc: BaseService, payload: Any) -> Any:
    """``payload`` structured into the service's input type; :class:`~pypwext.BadRequest` with
    every problem by path when it does not fit."""
    target = type(svc)._pypwext_input_type
    if target in (Any, object, Request) or (
        isinstance(target, type) and not typing.get_args(target) and isinstance(payload, target)
    ):
        return payload
    try:
        return codec.structure(payload, target)
    except codec.InputError as exc:
        raise BadRequest("invalid record", details=exc.details()) from None


def run_item(
    svc: BaseService,
    main: str,
    load: Callable[[], Any],
    document: Callable[[Any], dict[str, Any]] | None = None,
    **fields: Any,
) -> Any:
    """One item through the lifecycle: ``load()`` the payload, structure it, ``validate``, then
    ``main`` (under the class's idempotency, keyed on ``document(payload)``); ``on_error`` sees
    any failure (an unexpected exception wrapped in an :class:`~pypwext.InternalError`, logged
    once with its traceback). Returns the result, or raises what ``on_error`` raised -- the
    original exception when ``on_error`` re-raised the wrapper untouched. ``fields`` (the
    item's id) go into the log line of an unexpected error.
    """
    cls = type(svc)
    method = getattr(svc, main)
    try:
        try:
            payload = load()
            data = structure_item(svc, payload)
            validated = svc.validate(data)
            idem = cls.idempotency
            if idem is None:
                return method(validated)
            doc = document(payload) if document is not None else {"body": payload}
            return idem.run(cls, doc, lambda: method(validated), svc.context)
        except ServiceError as err:
            return svc.on_error(err)
        except Exception as exc:
            log_failure(svc, "unexpected error", exc, **fields)
            internal = InternalError()
            internal.__cause__ = exc
            internal.logged = True  # type: ignore[attr-defined]
            try:
                exc.logged = True  # type: ignore[attr-defined]
            except AttributeError:  # an exception type with __slots__
                pass
            try:
                return svc.on_error(internal)
            except InternalError as raised:
                if raised is internal:
                    raise exc from None
                raise
    except ServiceError as err:
        if err.code >= 500 and not getattr(err, "logged", False):
            svc.logger.failure(cls._pypwext_operation, f"{err.code} {err.msg}", err, cls.classification)
            err.logged = True  # type: ignore[attr-defined]
        raise


def log_failure(svc: BaseService, message: str, exc: BaseException, **fields: Any) -> None:
    """One ERROR line for a failed item, with the item's identity in ``fields`` (``record_id``,
    ``line``...) beside the service's usual fields. The traceback is included unless the error
    was already logged with it."""
    cls = type(svc)
    show_trace = not getattr(exc, "logged", False) and not isinstance(exc, ServiceError)
    cls._pypwext_logger.failure(
        cls._pypwext_operation,
        message,
        exc,
        cls.classification,
        cls.log_type,
        with_traceback=show_trace,
        **fields,
    )
