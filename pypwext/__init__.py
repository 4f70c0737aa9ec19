"""pypwext: AWS Lambda micro-services as classes, with PyPwExt's discipline.

>>> from pypwext import BaseService, Request
>>> class Ping(BaseService):
...     def execute(self, request: Request) -> dict[str, bool]:
...         return {"pong": True}
>>> handler = Ping.handler
"""

from pypwext.base import ErrorAction, InfoClassification, LogEntryType
from pypwext.batch import DynamoDBChange, DynamoDBStreamBatchService, KinesisBatchService, SqsBatchService
from pypwext.codec import strict
from pypwext.cors import Cors
from pypwext.dependencies.fanout import fan_out
from pypwext.dependencies.http import Http
from pypwext.dependencies.lambda_ import LambdaFunction
from pypwext.dependencies.parameters import Parameter, Secret
from pypwext.errors import (
    BadRequest,
    Conflict,
    DependencyError,
    ErrorCollector,
    ErrorWithReturn,
    Forbidden,
    InternalError,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    current_collector,
)
from pypwext.eventbridge import EventBridgeEvent, EventService, ScheduledService
from pypwext.events import EventSource, Request
from pypwext.idempotency import Idempotency
from pypwext.responses import Response
from pypwext.s3 import S3Object, S3ObjectService
from pypwext.service import BaseService, step

__version__ = "0.1.0"

__all__ = [
    "BadRequest",
    "BaseService",
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
