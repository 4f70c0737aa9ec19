"""The non-HTTP event factories of pypwext.testing have the keys and value types of the real
samples, key by key (message attributes and other free-form maps excepted)."""

from __future__ import annotations

import base64
from typing import Any

from pypwext.testing import (
    dynamodb_stream_event,
    eventbridge_event,
    kinesis_event,
    s3_event,
    scheduled_event,
    sns_event,
    sqs_event,
)
from tests._support.aws_samples import sample

FREE_FORM = {"messageAttributes", "MessageAttributes", "detail", "NewImage", "OldImage", "Keys"}


def same_shape(built: Any, real: Any, path: str = "", optional: frozenset[str] = frozenset()) -> None:
    if isinstance(real, dict):
        assert isinstance(built, dict), f"{path}: expected an object"
        if path.rsplit(".", 1)[-1] in FREE_FORM:
            return
        missing = set(real) - set(built) - optional
        extra = set(built) - set(real) - optional
        assert not missing and not extra, f"{path}: missing {missing}, extra {extra}"
        for key in set(real) & set(built):
            same_shape(built[key], real[key], f"{path}.{key}", optional)
    elif isinstance(real, list):
        assert isinstance(built, list), f"{path}: expected a list"
        if real and built:
            same_shape(built[0], real[0], f"{path}[0]", optional)
    elif real is None or built is None:
        pass  # optional values (an SNS subject)
    else:
        assert type(built) is type(real), f"{path}: {type(built).__name__} != {type(real).__name__}"


def test_sqs_event_matches_the_sample():
    same_shape(sqs_event(["a", {"b": 1}]), sample("sqsEvent.json"))


def test_fifo_sqs_event_matches_the_fifo_sample():
    real = sample("snsSqsFifoEvent.json")
    built = sqs_event(["x"], fifo=True)
    same_shape(built, real)
    assert set(built["Records"][0]["attributes"]) == set(real["Records"][0]["attributes"])


def test_sns_event_matches_the_sample():
    same_shape(sns_event(["hello"], subject="s"), sample("snsEvent.json"))


def test_kinesis_event_matches_the_sample():
    real = sample("kinesisStreamEvent.json")
    built = kinesis_event([b"Hello", {"n": 1}])
    same_shape(built, real)
    first, second = built["Records"]
    assert base64.b64decode(first["kinesis"]["data"]) == b"Hello"
    assert int(second["kinesis"]["sequenceNumber"]) == int(first["kinesis"]["sequenceNumber"]) + 1
    assert first["eventID"].endswith(first["kinesis"]["sequenceNumber"])


def test_dynamodb_stream_event_matches_the_sample():
    real = sample("dynamoStreamEvent.json")
    built = dynamodb_stream_event([{"Id": 101, "Message": "New item!"}], keys=["Id"])
    same_shape(built, real, optional=frozenset({"OldImage"}))
    assert built["Records"][0]["dynamodb"]["NewImage"] == real["Records"][0]["dynamodb"]["NewImage"]
    assert built["Records"][0]["dynamodb"]["Keys"] == real["Records"][0]["dynamodb"]["Keys"]
    modify = dynamodb_stream_event(
        [{"Id": 101, "Message": "This item has changed"}],
        keys=["Id"],
        event_name="MODIFY",
        old_images=[{"Id": 101, "Message": "New item!"}],
    )
    assert modify["Records"][0]["dynamodb"]["OldImage"] == real["Records"][1]["dynamodb"]["OldImage"]


def test_eventbridge_and_scheduled_events_match_the_sample():
    real = sample("eventBridgeEvent.json")
    optional = frozenset({"replay-name"})  # only on replayed events
    same_shape(eventbridge_event({"instance_id": "i-1", "state": "running"}), real, optional=optional)
    scheduled = scheduled_event("daily")
    same_shape(scheduled, real, optional=optional)
    assert (scheduled["source"], scheduled["detail-type"], scheduled["detail"]) == (
        "aws.events",
        "Scheduled Event",
        {},
    )


def test_s3_event_matches_the_sample():
    same_shape(s3_event("bucket", "some key.csv", size=10), sample("s3Event.json"))
    decoded = sample("s3EventDecodedKey.json")["Records"][0]["s3"]["object"]["key"]
    assert "+" in decoded or "%" in decoded  # S3 URL-encodes keys, as the factory does
    assert s3_event("b", "a b/c.csv")["Records"][0]["s3"]["object"]["key"] == "a+b/c.csv"
