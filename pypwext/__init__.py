"""pypwext: AWS Lambda micro-services as classes, with PyPwExt's discipline.

>>> from pypwext import BaseService, Request
>>> class Ping(BaseService):
...     def execute(self, request: Request) -> dict[str, bool]:
...         return {"pong": True}
>>> handler = Ping.handler
"""

from typing import TYPE_CHECKING, Any

from pypwext.base import ErrorAction, InfoClassification, LogEntryType
from pypwext.codec import strict
from pypwext.cors import Cors
from pypwext.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    DependencyError,
    ErrorCollector,
    ErrorWithReturn,
    Forbidden,
    InternalError,
    NotFound,
    PayloadTooLarge,
    PypwextError,
    ServiceError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    current_collector,
)
from pypwext.events import EventSource, Request
from pypwext.responses import Response
from pypwext.service import BaseService, step

# Names a service may not need are imported on first use (cold start is a feature): an HTTP
# service does not pay for the batch machinery, nor a batch service for the HTTP client.
_LAZY = {
    "DynamoDBChange": "pypwext.batch",
    "DynamoDBStreamBatchService": "pypwext.batch",
    "KinesisBatchService": "pypwext.batch",
    "SqsBatchService": "pypwext.batch",
    "EventBridgeEvent": "pypwext.eventbridge",
    "EventService": "pypwext.eventbridge",
    "ScheduledService": "pypwext.eventbridge",
    "S3Object": "pypwext.s3",
    "S3ObjectService": "pypwext.s3",
    "Idempotency": "pypwext.idempotency",
    "fan_out": "pypwext.dependencies.fanout",
    "Http": "pypwext.dependencies.http",
    "LambdaFunction": "pypwext.dependencies.lambda_",
    "Parameter": "pypwext.dependencies.parameters",
    "Secret": "pypwext.dependencies.parameters",
}

if TYPE_CHECKING:
    from pypwext.batch import DynamoDBChange, DynamoDBStreamBatchService, KinesisBatchService, SqsBatchService
    from pypwext.dependencies.fanout import fan_out
    from pypwext.dependencies.http import Http
    from pypwext.dependencies.lambda_ import LambdaFunction
    from pypwext.dependencies.parameters import Parameter, Secret
    from pypwext.eventbridge import EventBridgeEvent, EventService, ScheduledService
    from pypwext.idempotency import Idempotency
    from pypwext.s3 import S3Object, S3ObjectService


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pypwext' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "BadRequest",
    "BaseService",
    "ConfigurationError",
    "Conflict",
    "Cors",
    "DependencyError",
    "DynamoDBChange",
    "DynamoDBStreamBatchService",
    "ErrorAction",
    "ErrorCollector",
    "ErrorWithReturn",
    "EventBridgeEvent",
    "EventService",
    "EventSource",
    "Forbidden",
    "Http",
    "Idempotency",
    "InfoClassification",
    "InternalError",
    "KinesisBatchService",
    "LambdaFunction",
    "LogEntryType",
    "NotFound",
    "Parameter",
    "PayloadTooLarge",
    "PypwextError",
    "Request",
    "Response",
    "S3Object",
    "S3ObjectService",
    "ScheduledService",
    "Secret",
    "ServiceError",
    "ServiceUnavailable",
    "SqsBatchService",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableEntity",
    "current_collector",
    "fan_out",
    "step",
    "strict",
]
