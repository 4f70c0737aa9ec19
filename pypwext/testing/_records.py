"""Event factories for the event-driven kinds: SQS, SNS, Kinesis, DynamoDB streams,
EventBridge (and its schedules) and S3 notifications, shaped like the real samples."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from pypwext import codec
from pypwext.testing._common import _ACCOUNT_ID, _SOURCE_IP


def _payload_text(body: Any) -> str:
    """A message body: ``str`` as is, ``bytes`` as UTF-8, anything else as JSON."""
    if isinstance(body, str):
        return body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body).decode("utf-8")
    return codec.dumps(body)


def _iso_millis(now: float) -> str:
    """``2019-09-03T19:37:27.192Z``."""
    stamp = datetime.fromtimestamp(now, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def sqs_event(
    bodies: Sequence[Any],
    *,
    queue: str = "test-queue",
    fifo: bool = False,
    group_id: str = "group-1",
    region: str = "us-east-1",
    attributes: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """An SQS event with one record per body (``str`` as is, anything else as JSON).

    ``fifo=True`` names a ``.fifo`` queue and adds the FIFO attributes (``MessageGroupId``,
    ``MessageDeduplicationId``, ``SequenceNumber``); ``attributes`` are message attributes
    (``{"name": {"stringValue": "1", "dataType": "Number"}}``).

    >>> event = sqs_event([{"order_id": 7}, "plain text"])
    >>> [r["body"] for r in event["Records"]]
    ['{"order_id":7}', 'plain text']
    """
    now = time.time()
    name = queue if not fifo or queue.endswith(".fifo") else f"{queue}.fifo"
    records = []
    for index, body in enumerate(bodies):
        text = _payload_text(body)
        sent = str(int(now * 1000) + index)
        record_attributes = {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": sent,
        }
        if fifo:
            record_attributes.update(
                {
                    "SequenceNumber": str(18873177232222703872 + index),
                    "MessageGroupId": group_id,
                    "MessageDeduplicationId": secrets.token_hex(32),
                }
            )
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": base64.b64encode(secrets.token_bytes(48)).decode("ascii"),
                "body": text,
                "attributes": record_attributes,
                "messageAttributes": {k: dict(v) for k, v in (attributes or {}).items()},
                "md5OfBody": hashlib.md5(text.encode("utf-8")).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{region}:{_ACCOUNT_ID}:{name}",
                "awsRegion": region,
            }
        )
    return {"Records": records}


def sns_event(
    messages: Sequence[Any],
    *,
    topic: str = "test-topic",
    subject: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An SNS event with one record per message (``str`` as is, anything else as JSON).

    >>> sns_event(["hello"])["Records"][0]["Sns"]["Message"]
    'hello'
    """
    now = time.time()
    topic_arn = f"arn:aws:sns:{region}:{_ACCOUNT_ID}:{topic}"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": _iso_millis(now),
                    "Signature": base64.b64encode(secrets.token_bytes(64)).decode("ascii"),
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService.pem",
                    "MessageId": str(uuid.uuid4()),
                    "Message": _payload_text(message),
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe",
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
            for message in messages
        ]
    }


def kinesis_event(
    payloads: Sequence[Any],
    *,
    stream: str = "test-stream",
    partition_key: str = "1",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A Kinesis Data Streams event; each payload (``bytes``, ``str`` or JSON) is base64-encoded
    in ``data``, with increasing sequence numbers.

    >>> import base64
    >>> base64.b64decode(kinesis_event([{"n": 1}])["Records"][0]["kinesis"]["data"])
    b'{"n":1}'
    """
    now = time.time()
    base = 49590338271490256608559692538361571095921575989136588898 + secrets.randbelow(10**6) * 10**8
    records = []
    for index, payload in enumerate(payloads):
        raw = bytes(payload) if isinstance(payload, (bytes, bytearray)) else _payload_text(payload).encode()
        sequence = str(base + index)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(raw).decode("ascii"),
                    "approximateArrivalTimestamp": round(now + index / 1000, 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000006:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{_ACCOUNT_ID}:role/lambda-role",
                "awsRegion": region,
                "eventSourceARN": f"arn:aws:kinesis:{region}:{_ACCOUNT_ID}:stream/{stream}",
            }
        )
    return {"Records": records}


def dynamodb_value(value: Any) -> dict[str, Any]:
    """``value`` in DynamoDB's attribute-value form (``{"N": "7"}``, ``{"M": {...}}``).

    >>> dynamodb_value({"id": 7, "tags": ["a"], "ok": True})
    {'M': {'id': {'N': '7'}, 'tags': {'L': [{'S': 'a'}]}, 'ok': {'BOOL': True}}}
    """
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {"M": {str(k): dynamodb_value(v) for k, v in value.items()}}
    if isinstance(value, (set, frozenset)):
        items = sorted(value)
        if all(isinstance(v, str) for v in items):
            return {"SS": items}
        return {"NS": [str(v) for v in items]}
    if isinstance(value, (list, tuple)):
        return {"L": [dynamodb_value(v) for v in value]}
    raise TypeError(f"no DynamoDB form for {type(value).__name__}")


def _image(item: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): dynamodb_value(v) for k, v in item.items()}


def dynamodb_stream_event(
    changes: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str] = ("id",),
    event_name: str = "INSERT",
    old_images: Sequence[Mapping[str, Any] | None] | None = None,
    table: str = "test-table",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A DynamoDB stream event (view type ``NEW_AND_OLD_IMAGES``): one record per new image.

    ``keys`` names the key attributes; ``event_name`` is ``INSERT``, ``MODIFY`` or ``REMOVE``
    (a ``REMOVE`` has the given image as its old image and no new image); ``old_images`` gives
    ``MODIFY`` records their old image.

    >>> record = dynamodb_stream_event([{"id": 101, "message": "hi"}])["Records"][0]
    >>> record["dynamodb"]["Keys"], record["dynamodb"]["NewImage"]["message"]
    ({'id': {'N': '101'}}, {'S': 'hi'})
    """
    now = time.time()
    base = 100000000000000000000 + secrets.randbelow(10**6) * 10**4
    stream_arn = f"arn:aws:dynamodb:{region}:{_ACCOUNT_ID}:table/{table}/stream/2024-01-01T00:00:00.000"
    records = []
    for index, item in enumerate(changes):
        body: dict[str, Any] = {
            "ApproximateCreationDateTime": float(int(now)),
            "Keys": {k: dynamodb_value(item[k]) for k in keys if k in item},
        }
        old = old_images[index] if old_images is not None else None
        if event_name == "REMOVE":
            body["OldImage"] = _image(item)
        else:
            body["NewImage"] = _image(item)
            if old is not None:
                body["OldImage"] = _image(old)
        body.update(
            {
                "SequenceNumber": str(base + index),
                "SizeBytes": len(codec.dumps(item)),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            }
        )
        records.append(
            {
                "eventID": secrets.token_hex(16),
                "eventVersion": "1.1",
                "dynamodb": body,
                "awsRegion": region,
                "eventName": event_name,
                "eventSourceARN": stream_arn,
                "eventSource": "aws:dynamodb",
            }
        )
    return {"Records": records}


def eventbridge_event(
    detail: Any = None,
    *,
    source: str = "com.example.test",
    detail_type: str = "Test Event",
    resources: Sequence[str] = (),
    region: str = "us-east-1",
    time_: datetime | None = None,
) -> dict[str, Any]:
    """An EventBridge event; ``detail`` is any JSON-encodable value (an attrs instance too).

    >>> event = eventbridge_event({"order_id": 7}, source="shop.orders", detail_type="Order Placed")
    >>> event["source"], event["detail-type"], event["detail"]
    ('shop.orders', 'Order Placed', {'order_id': 7})
    """
    when = time_ or datetime.now(timezone.utc)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": _ACCOUNT_ID,
        "time": when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": list(resources),
        "detail": {} if detail is None else codec.loads(codec.dumps(detail)),
    }


def scheduled_event(
    rule: str = "test-schedule", *, region: str = "us-east-1", time_: datetime | None = None
) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends: ``source`` ``aws.events``, detail-type
    ``Scheduled Event``, the rule's ARN in ``resources`` and an empty ``detail``.

    >>> scheduled_event("daily")["resources"]
    ['arn:aws:events:us-east-1:123456789012:rule/daily']
    """
    return eventbridge_event(
        {},
        source="aws.events",
        detail_type="Scheduled Event",
        resources=[f"arn:aws:events:{region}:{_ACCOUNT_ID}:rule/{rule}"],
        region=region,
        time_=time_,
    )


def s3_event(
    bucket: str,
    key: str,
    *,
    size: int = 0,
    event_name: str = "ObjectCreated:Put",
    etag: str | None = None,
    version_id: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An S3 notification event for one object; the key is URL-encoded as S3 sends it
    (spaces as ``+``).

    >>> s3_event("bucket", "in/a file.csv")["Records"][0]["s3"]["object"]["key"]
    'in/a+file.csv'
    """
    now = time.time()
    obj: dict[str, Any] = {
        "key": quote(key, safe="/").replace("%20", "+"),
        "size": size,
        "eTag": etag or secrets.token_hex(16),
        "sequencer": secrets.token_hex(9).upper(),
    }
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": _iso_millis(now),
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
                "requestParameters": {"sourceIPAddress": _SOURCE_IP},
                "responseElements": {
                    "x-amz-request-id": secrets.token_hex(8).upper(),
                    "x-amz-id-2": base64.b64encode(secrets.token_bytes(56)).decode("ascii"),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": str(uuid.uuid4()),
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3I5XTEXAMAI3E"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }
