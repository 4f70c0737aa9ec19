"""What the event-driven kinds of service share (batch, EventBridge, S3): how an event becomes a
request, and how one item (a queue message, a stream record, an EventBridge event, a row of an S3
object) goes through the one lifecycle pipeline (:mod:`pypwext.runtime._pipeline`) that an HTTP
request goes through too.

What differs per kind is only what happens to a failure: a batch reports the record, EventBridge
re-raises. One rule for every kind: an item that fails writes exactly one ERROR line (with the
item's id and, for an unexpected exception, its traceback) -- the pipeline decides when, this
module says in which words (:data:`ITEM_FAILURES`).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pypwext import codec
from pypwext.errors import BadRequest, ServiceError
from pypwext.observability.logging import remember_input
from pypwext.runtime._pipeline import Failures, run_lifecycle
from pypwext.wire._events import EventSource, Request

if TYPE_CHECKING:
    from pypwext.runtime._service import BaseService

__all__ = [
    "ITEM_FAILURES",
    "DecodeError",
    "event_request",
    "log_failure",
    "read_event",
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


def read_event(event: Any, context: Any) -> tuple[Request, None]:
    """The ``parse`` of an event-driven kind's invocation: the event as a request, never an
    early answer."""
    return event_request(event, context), None


def structure_item(svc: BaseService, payload: Any) -> Any:
    """``payload`` structured into the service's input type; :class:`~pypwext.BadRequest` with
    every problem by path when it does not fit."""
    cls = type(svc)
    target = cls._pypwext_spec.input_type
    if target in (Any, object, Request) or (
        isinstance(target, type) and not typing.get_args(target) and isinstance(payload, target)
    ):
        return payload
    try:
        return remember_input(codec.structure(payload, target), cls.classification)
    except codec.InputError as exc:
        raise BadRequest("invalid record", details=exc.details()) from None


def _item_failed(
    svc: BaseService,
    error: BaseException,
    unexpected: BaseException | None,
    message: str,
    fields: Mapping[str, Any],
) -> None:
    log_failure(
        svc,
        message,
        error,
        with_traceback=unexpected is not None or not isinstance(error, ServiceError),
        **fields,
    )


def _item_handled(
    svc: BaseService, unexpected: BaseException, message: str, fields: Mapping[str, Any]
) -> None:
    log_failure(svc, "unexpected error handled by on_error", unexpected, **fields)


ITEM_FAILURES = Failures(_item_failed, _item_handled, BaseException)
"""An item's failure: ``message`` (``record failed``...) with the item's id, the traceback for
an unexpected exception; an unexpected exception ``on_error`` handled is written too. Anything
an item raises, ``BaseException`` included, fails the item, not the invocation."""


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
    """One item through the lifecycle (:func:`~pypwext.runtime._pipeline.run_lifecycle`):
    ``load()`` the payload, structure it, ``validate``, then ``main`` (under the class's
    idempotency, keyed on ``document(payload)``, default ``{"body": payload}``); ``on_error``
    sees any failure. ``finish`` turns ``main``'s result into the answer (an event's JSON form)
    inside the same protection, so a result that cannot be encoded fails the item like any other
    error. A failure is written once, as ``message`` with ``fields`` (the item's id)."""
    method = getattr(svc, main)
    run = method if finish is None else (lambda data: finish(method(data)))
    return run_lifecycle(
        svc,
        run,
        load,
        _call,
        functools.partial(structure_item, svc),
        document if document is not None else _body_document,
        ITEM_FAILURES,
        message,
        fields,
    )


def _call(load: Callable[[], Any]) -> Any:
    return load()


def _body_document(payload: Any) -> dict[str, Any]:
    return {"body": payload}


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
    spec = cls._pypwext_spec
    spec.logger.failure(
        spec.operation,
        message,
        exc,
        cls.classification,
        cls.log_type,
        with_traceback=not isinstance(exc, ServiceError) if with_traceback is None else with_traceback,
        **fields,
    )
