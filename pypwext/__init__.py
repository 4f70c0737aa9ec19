"""pypwext: AWS Lambda micro-services as classes, with PyPwExt's discipline.

>>> from pypwext import BaseService, Request
>>> class Ping(BaseService):
...     def execute(self, request: Request) -> dict[str, bool]:
...         return {"pong": True}
>>> handler = Ping.handler
"""

from typing import TYPE_CHECKING

from pypwext._lazy import exports
from pypwext._version import __version__ as __version__
from pypwext.base import ErrorAction, InfoClassification, LogEntryType
from pypwext.codec import strict
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
from pypwext.runtime._service import BaseService, step
from pypwext.wire._events import EventSource, Request
from pypwext.wire._responses import Response

# Names a service may not need are imported on first use (cold start is a feature): an HTTP
# service does not pay for the batch machinery, nor a batch service for the HTTP client.
_LAZY = {
    "DynamoDBChange": "pypwext.kinds._batch",
    "DynamoDBStreamBatchService": "pypwext.kinds._batch",
    "KinesisBatchService": "pypwext.kinds._batch",
    "SqsBatchService": "pypwext.kinds._batch",
    "EventBridgeEvent": "pypwext.kinds._eventbridge",
    "EventService": "pypwext.kinds._eventbridge",
    "ScheduledService": "pypwext.kinds._eventbridge",
    "S3Object": "pypwext.kinds._s3",
    "S3ObjectService": "pypwext.kinds._s3",
    "Idempotency": "pypwext.runtime._idempotency",
    "Cors": "pypwext.runtime._cors",
    "fan_out": "pypwext.dependencies.fanout",
    "Http": "pypwext.dependencies.http",
    "LambdaFunction": "pypwext.dependencies.lambda_",
    "Parameter": "pypwext.dependencies.parameters",
    "Secret": "pypwext.dependencies.parameters",
}

if TYPE_CHECKING:
    from pypwext.dependencies.fanout import fan_out
    from pypwext.dependencies.http import Http
    from pypwext.dependencies.lambda_ import LambdaFunction
    from pypwext.dependencies.parameters import Parameter, Secret
    from pypwext.kinds._batch import (
        DynamoDBChange,
        DynamoDBStreamBatchService,
        KinesisBatchService,
        SqsBatchService,
    )
    from pypwext.kinds._eventbridge import EventBridgeEvent, EventService, ScheduledService
    from pypwext.kinds._s3 import S3Object, S3ObjectService
    from pypwext.runtime._cors import Cors
    from pypwext.runtime._idempotency import Idempotency


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

__getattr__, __dir__ = exports(__name__, _LAZY, __all__)
