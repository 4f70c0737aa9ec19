"""The Lambda runtime core: ``BaseService``, its metaclass, ``@step``, the ``Api`` router, CORS and idempotency.

This is what runs in every invocation; the event sources' shapes are in :mod:`pypwext.wire`, the
kinds that are not HTTP services (batches, EventBridge, S3) in :mod:`pypwext.kinds`.
"""

from typing import TYPE_CHECKING

from pypwext._lazy import exports

_HOMES = {
    "Cors": "pypwext.runtime._cors",
    "Dependency": "pypwext.runtime._dependency",
    "Idempotency": "pypwext.runtime._idempotency",
    "http_document": "pypwext.runtime._http",
    "Api": "pypwext.runtime._routes",
    "ApiHandler": "pypwext.runtime._routes",
    "Match": "pypwext.runtime._routes",
    "Route": "pypwext.runtime._routes",
    "parse_template": "pypwext.runtime._routes",
    "BaseService": "pypwext.runtime._service",
    "Handler": "pypwext.runtime._prepare",
    "ServiceMeta": "pypwext.runtime._service",
    "prepare_class": "pypwext.runtime._prepare",
    "step": "pypwext.runtime._step",
}

if TYPE_CHECKING:
    from pypwext.runtime._cors import Cors
    from pypwext.runtime._dependency import Dependency
    from pypwext.runtime._http import http_document
    from pypwext.runtime._idempotency import Idempotency
    from pypwext.runtime._prepare import Handler, prepare_class
    from pypwext.runtime._routes import Api, ApiHandler, Match, Route, parse_template
    from pypwext.runtime._service import BaseService, ServiceMeta
    from pypwext.runtime._step import step

__all__ = [
    "Api",
    "ApiHandler",
    "BaseService",
    "Cors",
    "Dependency",
    "Handler",
    "Idempotency",
    "Match",
    "Route",
    "ServiceMeta",
    "http_document",
    "parse_template",
    "prepare_class",
    "step",
]

__getattr__, __dir__ = exports(__name__, _HOMES, __all__)
