"""Powertools event data classes as a service's input type.

A service may take ``execute(self, event: APIGatewayProxyEventV2)`` (or any class of
``aws_lambda_powertools.utilities.data_classes``): it gets the raw event wrapped in that class,
as Powertools' ``@event_source`` would give it. Each HTTP class reads the events of its own
sources; an event of another source is a deployment mistake, answered 500 with the reason in
the log. The classes are recognised by their lineage, without importing Powertools.
"""

from __future__ import annotations

from typing import Any

from pypwext.wire._events import EventSource, Request

__all__ = ["event_class_sources", "event_input"]

_POWERTOOLS_DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes."
_HTTP_EVENT_CLASSES: dict[str, tuple[EventSource, ...]] = {
    "APIGatewayProxyEvent": (EventSource.API_GATEWAY_REST,),
    "APIGatewayProxyEventV2": (EventSource.API_GATEWAY_HTTP, EventSource.FUNCTION_URL),
    "LambdaFunctionUrlEvent": (EventSource.FUNCTION_URL, EventSource.API_GATEWAY_HTTP),
    "ALBEvent": (EventSource.ALB,),
}
"""Powertools' HTTP event data classes and the event sources whose events they read."""


def event_class_sources(input_type: Any) -> tuple[EventSource, ...] | None:
    """The event sources a Powertools event data class reads, or ``None`` for any other type.

    The class of a non-HTTP event (``SQSEvent``, ``EventBridgeEvent``...) reads direct
    invocations (what pypwext calls every event that is not an HTTP request).

    >>> event_class_sources(dict) is None
    True
    """
    if not isinstance(input_type, type):
        return None
    lineage = [k for k in input_type.__mro__ if k.__module__.startswith(_POWERTOOLS_DATA_CLASSES)]
    if not any(k.__name__ == "DictWrapper" for k in lineage):
        return None
    for klass in lineage:
        if klass.__name__ in _HTTP_EVENT_CLASSES:
            return _HTTP_EVENT_CLASSES[klass.__name__]
    return (EventSource.DIRECT,)


def event_input(
    service_name: str, target: Any, sources: tuple[EventSource, ...] | None, request: Request
) -> Any:
    """The raw event of ``request`` wrapped in the data class ``target``; a ``TypeError`` -- a
    500, the reason in the log -- for an event of a source the class does not read."""
    sources = sources or (EventSource.DIRECT,)
    if request.source not in sources:
        wanted = " or ".join(f"'{s.value}'" for s in sources)
        hint = f" (pypwext serve: --source {sources[0].value})" if sources[0].is_http else ""
        raise TypeError(
            f"{service_name} takes {target.__name__}, which reads {wanted} events; this "
            f"event is a '{request.source.value}' event{hint}"
        )
    return target(request.raw_event)
