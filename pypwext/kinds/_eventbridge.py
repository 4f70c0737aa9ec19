"""EventBridge services: events from a bus or a schedule rule.

``class X(EventService)`` writes ``execute(self, detail)``: the event's ``detail`` arrives
structured into the type annotated on ``execute`` (or ``validate``); annotate
:class:`EventBridgeEvent` to get the whole envelope instead. ``self.event`` is the envelope of
the event being handled either way.

Rules:

* **Filters.** ``sources`` and ``detail_types`` (tuples of strings) say what the service
  handles. The rule on the bus should already filter; an event that does not match is a
  misrouted event, *ignored*: logged at WARNING (with its source, detail-type and id) and
  answered with ``None``, never retried -- retrying cannot make it match, and a DLQ full of
  misrouted events hides the real failures.
* **Failures are raised.** Unlike an HTTP service, which answers with an error, an event
  service re-raises what ``execute`` raised (after logging it once, and after ``on_error`` had
  its chance to handle it), so the asynchronous invocation fails and Lambda retries it (twice
  by default) and then hands it to the function's on-failure destination or DLQ. An event
  that is not an EventBridge event at all is a :class:`~pypwext.BadRequest`, raised as well.
* **Schedules.** :class:`ScheduledService` is an ``EventService`` that only takes schedule
  events (``source`` ``aws.events``, ``detail-type`` ``Scheduled Event``); its ``execute``
  usually takes the :class:`EventBridgeEvent` (for ``time``) or nothing of the event at all.
* **Result.** What ``execute`` returns is returned in its JSON form (useful to a direct
  invoke and to tests; EventBridge ignores it).

>>> from pypwext.testing import eventbridge_event, lambda_context
>>> class Shipped(EventService):
...     sources = ("shop.orders",)
...     def execute(self, detail: dict[str, int]) -> int:
...         return detail["order_id"]
>>> Shipped.handler(eventbridge_event({"order_id": 7}, source="shop.orders"), lambda_context())
{"level":"INFO",...,"message":"INVOKE -> 200",...}
7
>>> Shipped.handler(eventbridge_event({"order_id": 7}, source="other"), lambda_context()) is None
{"level":"WARNING",...,"message":"event ignored: it does not match the service's sources/detail_types",...}
True

(The lines before each answer are the service's log entries on stdout: an invocation summary,
and a warning for the event it ignored.)
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from pypwext import codec
from pypwext.base import InfoClassification
from pypwext.errors import BadRequest
from pypwext.kinds._common import log_failure, read_event, run_item
from pypwext.runtime._pipeline import run_invocation
from pypwext.runtime._service import BaseService
from pypwext.runtime._spec import Kind
from pypwext.wire._events import Request

__all__ = ["EventBridgeEvent", "EventService", "ScheduledService"]

_CURRENT_EVENT: contextvars.ContextVar[EventBridgeEvent | None] = contextvars.ContextVar(
    "pypwext_eventbridge_event", default=None
)


@attrs.frozen
class EventBridgeEvent:
    """The envelope of an EventBridge event (``detail`` as received, not structured)."""

    id: str
    source: str
    detail_type: str
    time: str
    region: str = ""
    account: str = ""
    resources: list[str] = attrs.field(factory=list)
    detail: Any = None
    version: str = "0"

    @classmethod
    def from_event(cls, event: Any) -> EventBridgeEvent:
        """Read an EventBridge event; :class:`~pypwext.BadRequest` when it is not one."""
        if not isinstance(event, Mapping):
            raise BadRequest("not an EventBridge event", details={"reason": "the event is not an object"})
        missing = [k for k in ("id", "source", "detail-type") if not isinstance(event.get(k), str)]
        if missing:
            raise BadRequest(
                "not an EventBridge event",
                details={"reason": f"missing {', '.join(missing)}"},
            )
        resources = event.get("resources")
        return cls(
            id=event["id"],
            source=event["source"],
            detail_type=event["detail-type"],
            time=str(event.get("time", "")),
            region=str(event.get("region", "")),
            account=str(event.get("account", "")),
            resources=[str(r) for r in resources] if isinstance(resources, list) else [],
            detail=event.get("detail"),
            version=str(event.get("version", "0")),
        )


def _str_tuple(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _check_event_service(cls: type[EventService]) -> None:
    """The checks of an event service class."""
    if "process_record" in vars(cls):
        raise TypeError(
            f"{cls.__qualname__}: an event service implements execute(self, detail), not process_record"
        )
    for option in ("sources", "detail_types"):
        value = vars(cls).get(option)
        if value is not None and not isinstance(value, (str, tuple, list, frozenset)):
            continue  # the metaclass names the wrong type
        if isinstance(value, (tuple, list, frozenset)) and not all(isinstance(v, str) for v in value):
            raise TypeError(f"{cls.__qualname__}: {option} must hold strings, got {value!r}")


EVENTBRIDGE = Kind(
    lifecycle=("validate", "execute", "on_error"),
    input_methods=("validate", "execute"),
    options={
        "sources": (tuple, list, frozenset, type(None)),
        "detail_types": (tuple, list, frozenset, type(None)),
    },
    check=_check_event_service,
    source="eventbridge",
)


class EventService(BaseService, kind=EVENTBRIDGE):
    """A service for EventBridge events.

    Lifecycle: ``validate(detail)`` (optional), ``execute(detail)``, ``on_error(error)``.
    Class options: those of :class:`~pypwext.BaseService` that apply (``operation``,
    ``service``, ``classification``, ``log_type``, ``idempotency`` -- whose document is
    ``{"body": detail, "id", "source", "detail_type", "time"}``), ``sources`` and
    ``detail_types``.
    """

    sources: ClassVar[tuple[str, ...] | None] = None
    """The event sources handled (``None``: any)."""
    detail_types: ClassVar[tuple[str, ...] | None] = None
    """The detail-types handled (``None``: any)."""

    @property
    def event(self) -> EventBridgeEvent:
        """The envelope of the event being handled."""
        current = _CURRENT_EVENT.get()
        if current is None:
            raise RuntimeError("there is no event outside an invocation")
        return current

    def matches(self, event: EventBridgeEvent) -> bool:
        """Whether the ``sources`` and ``detail_types`` filters accept ``event``."""
        cls = type(self)
        sources = _str_tuple(cls.sources)
        detail_types = _str_tuple(cls.detail_types)
        return (sources is None or event.source in sources) and (
            detail_types is None or event.detail_type in detail_types
        )

    def __call__(self, event: Any, context: Any = None) -> Any:
        """Handle one event; raises when it failed, so that Lambda retries it."""
        return run_invocation(self, event, context, read_event, self._run_event)

    def _run_event(self, request: Request) -> tuple[Any, dict[str, Any], int]:
        cls = type(self)
        try:
            envelope = EventBridgeEvent.from_event(request.raw_event)
        except BadRequest as err:
            log_failure(self, "event failed", err)
            raise
        fields: dict[str, Any] = {
            "event_id": envelope.id,
            "event_source": envelope.source,
            "detail_type": envelope.detail_type,
        }
        if not self.matches(envelope):
            self.logger.warning(
                "event ignored: it does not match the service's sources/detail_types",
                classification=InfoClassification.NA,
                extra=fields,
            )
            return None, {**fields, "ignored": True}, 200
        token = _CURRENT_EVENT.set(envelope)
        try:
            wants_envelope = cls._pypwext_spec.input_type is EventBridgeEvent
            result = run_item(
                self,
                "execute",
                lambda: envelope if wants_envelope else envelope.detail,
                lambda _payload: {
                    "body": envelope.detail,
                    "id": envelope.id,
                    "source": envelope.source,
                    "detail_type": envelope.detail_type,
                    "time": envelope.time,
                },
                "event failed",
                finish=_json_form,
                event_id=envelope.id,
            )
        finally:
            _CURRENT_EVENT.reset(token)
        return result, fields, 200


def _json_form(result: Any) -> Any:
    """The answer of an event: the result's JSON form (``None`` stays ``None``)."""
    return None if result is None else codec.json_form(result)


class ScheduledService(EventService, kind=EVENTBRIDGE):
    """An :class:`EventService` for an EventBridge schedule rule (``rate(1 day)``,
    ``cron(0 6 * * ? *)``): it takes only ``aws.events`` / ``Scheduled Event`` events.

    ``execute`` may take the :class:`EventBridgeEvent` (its ``time`` is the scheduled time)
    or ``dict`` (the empty detail).
    """

    sources = ("aws.events",)
    detail_types = ("Scheduled Event",)
