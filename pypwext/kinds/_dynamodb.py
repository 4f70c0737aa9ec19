"""DynamoDB stream images as plain values, for the DynamoDB stream batch kind."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["deserialise"]


def deserialise(image: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB image as plain values: boto3's ``TypeDeserializer``, then its ``Decimal``
    numbers as ``int`` when integral and ``float`` otherwise (a ``Decimal`` field gets the
    same digits back), so that the shared converter structures them like JSON numbers."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: _plain(deserializer.deserialize(value)) for name, value in image.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, frozenset)):
        items = [_plain(v) for v in value]
        return items if isinstance(value, list) else set(items)
    return value
