"""The event-source wire: what each AWS event source sends a function and what it expects back.

``Request`` (``_events``) is the one shape every HTTP source (API Gateway REST and HTTP APIs, ALB,
Function URLs) is read into, and ``Response`` (``_responses``) the one shape every answer is
written from. One module per source owns its parse, render, read-back and example event:
``_rest`` (REST, payload 1.0), ``_http_api`` (HTTP API and Function URLs, payload 2.0), ``_alb``;
``_events`` and ``_responses`` dispatch to them, with the rules every source shares in
``_reading`` (an event's parts), ``_writing`` (an answer's, both ways) and ``_examples``. Nothing
here knows about services.
"""

from typing import TYPE_CHECKING

from pypwext._lazy import exports

_HOMES = {
    "event_class_sources": "pypwext.wire._event_classes",
    "event_input": "pypwext.wire._event_classes",
    "MAX_BODY_BYTES": "pypwext.wire._events",
    "EventSource": "pypwext.wire._events",
    "Headers": "pypwext.wire._events",
    "Request": "pypwext.wire._events",
    "detect_source": "pypwext.wire._events",
    "parse_request": "pypwext.wire._events",
    "Response": "pypwext.wire._responses",
    "from_direct": "pypwext.wire._responses",
    "is_direct_document": "pypwext.wire._responses",
    "to_source": "pypwext.wire._responses",
}

if TYPE_CHECKING:
    from pypwext.wire._event_classes import event_class_sources, event_input
    from pypwext.wire._events import (
        MAX_BODY_BYTES,
        EventSource,
        Headers,
        Request,
        detect_source,
        parse_request,
    )
    from pypwext.wire._responses import Response, from_direct, is_direct_document, to_source

__all__ = [
    "MAX_BODY_BYTES",
    "EventSource",
    "Headers",
    "Request",
    "Response",
    "detect_source",
    "event_class_sources",
    "event_input",
    "from_direct",
    "is_direct_document",
    "parse_request",
    "to_source",
]

__getattr__, __dir__ = exports(__name__, _HOMES, __all__)
