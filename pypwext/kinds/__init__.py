"""The service kinds that are not HTTP services: batches (SQS, Kinesis, DynamoDB streams), EventBridge and S3.

Each is a peer of the HTTP :class:`~pypwext.BaseService` on the same lifecycle; this module
exports them all.
"""

from typing import TYPE_CHECKING

from pypwext._lazy import exports

_HOMES = {
    "BatchService": "pypwext.kinds._batch",
    "DynamoDBChange": "pypwext.kinds._batch",
    "DynamoDBStreamBatchService": "pypwext.kinds._batch",
    "KinesisBatchService": "pypwext.kinds._batch",
    "SqsBatchService": "pypwext.kinds._batch",
    "EventBridgeEvent": "pypwext.kinds._eventbridge",
    "EventService": "pypwext.kinds._eventbridge",
    "ScheduledService": "pypwext.kinds._eventbridge",
    "S3Client": "pypwext.kinds._s3",
    "S3Object": "pypwext.kinds._s3",
    "S3ObjectService": "pypwext.kinds._s3",
}

if TYPE_CHECKING:
    from pypwext.kinds._batch import (
        BatchService,
        DynamoDBChange,
        DynamoDBStreamBatchService,
        KinesisBatchService,
        SqsBatchService,
    )
    from pypwext.kinds._eventbridge import EventBridgeEvent, EventService, ScheduledService
    from pypwext.kinds._s3 import S3Client, S3Object, S3ObjectService

__all__ = [
    "BatchService",
    "DynamoDBChange",
    "DynamoDBStreamBatchService",
    "EventBridgeEvent",
    "EventService",
    "KinesisBatchService",
    "S3Client",
    "S3Object",
    "S3ObjectService",
    "ScheduledService",
    "SqsBatchService",
]

__getattr__, __dir__ = exports(__name__, _HOMES, __all__)
