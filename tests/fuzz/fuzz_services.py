"""The typed services the fuzz suite sends mutated real events to.

None of them raises a 5xx on purpose: any 5xx in an answer is pypwext's own failure. The HTTP
ones echo what they received (so that hostile input travels all the way into the answer); the
kinds process what their source carries.
"""

from __future__ import annotations

import dataclasses
import enum
import io
from decimal import Decimal
from typing import Any

import attrs

from pypwext import BaseService, Cors, Request
from pypwext.kinds._batch import DynamoDBStreamBatchService, KinesisBatchService, SqsBatchService
from pypwext.kinds._eventbridge import EventService
from pypwext.kinds._s3 import S3Object, S3ObjectService


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


class Colour(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


@attrs.define
class Order:
    quantity: int = 1
    price: float = 1.5
    total: Decimal = Decimal("1.50")
    size: Size = Size.SMALL
    colour: Colour = Colour.RED
    items: list[int] = attrs.field(factory=list)
    note: str = ""


@dataclasses.dataclass
class Lookup:
    id: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)
    score: float | None = None


class AttrsOrder(BaseService):
    """An attrs input of every kind of field, computed with and echoed."""

    just_status_code = False

    def execute(self, order: Order) -> dict[str, Any]:
        return {"order": order, "amount": order.total * order.quantity, "double": order.price * 2}


class DataclassLookup(BaseService):
    def execute(self, lookup: Lookup) -> Lookup:
        return lookup


class RequestEcho(BaseService):
    """Echoes every part of the request it can read."""

    just_status_code = False

    def execute(self, request: Request) -> dict[str, Any]:
        return {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "path_params": dict(request.path_params),
            "body": request.text if request.source.is_http else request.json(),
        }


class DictEcho(BaseService):
    def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"got": data}


class Binary(BaseService):
    def execute(self, request: Request) -> bytes:
        return bytes(request.body or b"") + b"\x00\xff"


class CorsEcho(BaseService):
    cors = Cors(origins=["https://shop.example"], credentials=True, expose_headers=["X-Total"])

    def execute(self, request: Request) -> dict[str, Any]:
        return {"origin": request.origin, "query": dict(request.query)}


HTTP_SERVICES: list[type[BaseService]] = [
    AttrsOrder,
    DataclassLookup,
    RequestEcho,
    DictEcho,
    Binary,
    CorsEcho,
]


class SqsOrders(SqsBatchService):
    def process_record(self, order: Order) -> Any:
        return order.total * order.quantity


class SqsText(SqsBatchService):
    def process_record(self, text: str) -> int:
        return len(text)


class KinesisAny(KinesisBatchService):
    def process_record(self, record: dict[str, Any]) -> Any:
        return record


class DynamoAny(DynamoDBStreamBatchService):
    def process_record(self, image: dict[str, Any]) -> Any:
        return image


class Events(EventService):
    def execute(self, detail: dict[str, Any]) -> Any:
        return detail


class S3Lines(S3ObjectService):
    record_format = "jsonl"

    def open(self, obj: S3Object) -> Any:
        # the object's content, without an S3 client: two good rows and a bad one
        return io.BytesIO(b'{"quantity": 2}\nnot json\n{"quantity": "x"}\n')

    def process_record(self, order: Order) -> Any:
        return order.quantity


def kind_services(sample_name: str) -> list[type[BaseService]]:
    """The kind services that take the sample's source (none for most samples)."""
    name = sample_name.lower()
    if name.startswith("s3eventbridge") or name.startswith("eventbridge"):
        return [Events]
    if name.startswith("kinesisstream"):
        return [KinesisAny]
    if name.startswith("dynamostream"):
        return [DynamoAny]
    if "sqs" in name and not name.startswith("kinesisfirehose"):
        return [SqsOrders, SqsText]
    if name.startswith("s3event") or name.startswith("s3objectevent"):
        return [S3Lines]
    return []
