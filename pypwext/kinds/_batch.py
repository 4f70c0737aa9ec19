"""Batch services: SQS queues, Kinesis streams and DynamoDB streams, without losing a message.

A batch service writes ``process_record(self, record)`` in place of ``execute``. Each record of
the batch is decoded, structured into the type annotated on ``process_record`` (or on
``validate``'s parameter), validated and processed on its own; the handler answers with the
*partial batch response* Lambda expects, listing only the records that failed::

    {"batchItemFailures": [{"itemIdentifier": "<messageId or sequenceNumber>"}]}

so Lambda deletes (or checkpoints past) every record that succeeded and retries only the others.
The event source mapping must have ``FunctionResponseTypes: [ReportBatchItemFailures]``;
without it, Lambda ignores the answer and retries the whole batch whenever the function fails.

The bookkeeping is Powertools' batch processing (``BatchProcessor`` and, for FIFO queues,
``SqsFifoPartialProcessor``), imported on the first batch, never at ``import pypwext``.

Rules:

* **Decoding.** SQS: the message ``body``; Kinesis: ``data`` decoded from base64; DynamoDB: the
  ``NewImage`` deserialised with boto3's ``TypeDeserializer`` (integral numbers as ``int``, others as
  ``float``).
  The payload is parsed as JSON, then structured into the annotated type -- unless the type is
  ``str`` (the text as is) or ``bytes`` (the raw bytes). Annotate :class:`DynamoDBChange` to
  receive the whole change (event name, keys, both images) instead of the new image.
* **Failures.** A record that cannot be decoded or structured, or whose ``validate`` or
  ``process_record`` raises anything (``BaseException`` included: ``SystemExit``,
  ``GeneratorExit``...), is a failed record: logged in one ERROR line with its id
  (``record_id``) and reported -- never an exception that fails the batch; the next record goes
  on. ``on_error(error)`` sees each failure first; returning from it (instead of re-raising)
  marks the record as handled, for example to drop a poison message on purpose.
  ``KeyboardInterrupt`` stops the batch: that record and every one not done are reported.
* **The deadline.** A record starts only while the invocation has more than
  ``deadline_margin_ms`` (default 1000) plus the longest record so far left; below that, every
  record not yet done is reported (one WARNING line), so a timeout never makes Lambda retry
  records that succeeded.
* **Whole-batch failure** only when a record cannot be reported: a record without its id (no
  ``messageId``/``sequenceNumber``) fails the invocation, since Lambda would treat an empty
  identifier as a failure of the whole batch anyway, and dropping it would lose it.
* **No records.** An event without records (or with an empty list) answers
  ``{"batchItemFailures": []}`` and logs a warning.
* **FIFO queues** (``fifo = True``, or a queue ARN that ends in ``.fifo``) stop at the first
  failure: it and every record after it are reported, so the order of a message group holds.
* **Streams** (Kinesis, DynamoDB): Lambda restarts the shard from the lowest reported sequence
  number, so records after a failure are retried even when they succeeded: make
  ``process_record`` idempotent (the ``idempotency`` option) or set a small batch size.
* **Parallelism.** Records run one after another; ``parallel = 8`` runs them on 8 threads, each
  in a copy of the invocation's context (logger, error collector, invocation). Not with FIFO.
* **Summary.** The invocation's summary line is an HTTP service's (``BaseService._summarise``:
  the AUDIT entry at any level, with ``outcome``), with ``records``, ``succeeded`` and
  ``failed``; ``status`` is 200, or the highest code of the failed records.

>>> from pypwext.testing import sqs_event, lambda_context
>>> class Double(SqsBatchService):
...     def process_record(self, n: int) -> int:
...         if n < 0:
...             raise ValueError("negative")
...         return 2 * n
>>> event = sqs_event([1, -1, 2])
>>> answer = Double.handler(event, lambda_context())
{"level":"ERROR",...,"message":"record failed",...}
{"level":"INFO",...,"message":"INVOKE -> 500",...}
>>> answer["batchItemFailures"] == [{"itemIdentifier": event["Records"][1]["messageId"]}]
True
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from pypwext import codec
from pypwext.base import InfoClassification
from pypwext.errors import drop_tracebacks
from pypwext.kinds._common import DecodeError, read_event, run_item
from pypwext.kinds._dynamodb import deserialise as _deserialise
from pypwext.runtime._pipeline import failure_code, run_invocation
from pypwext.runtime._service import BaseService
from pypwext.runtime._spec import Kind, below_kind
from pypwext.wire._events import Request

_NA = InfoClassification.NA  # framework notes that carry ids only

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor

__all__ = [
    "BatchService",
    "DynamoDBChange",
    "DynamoDBStreamBatchService",
    "KinesisBatchService",
    "SqsBatchService",
]

DEADLINE_MARGIN_MS = 1000
"""The default ``deadline_margin_ms``: a record is started only while the invocation has more
than this many milliseconds left (plus the longest a record of this batch has taken)."""

_CURRENT_RECORD: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "pypwext_record", default=None
)


@attrs.frozen
class DynamoDBChange:
    """One DynamoDB stream change, for a ``process_record`` that needs more than the new image.

    ``event_name`` is ``INSERT``, ``MODIFY`` or ``REMOVE``; ``keys``, ``new_image`` and
    ``old_image`` are deserialised (``None`` when the stream view type leaves an image out).
    """

    event_name: str
    keys: dict[str, Any]
    new_image: dict[str, Any] | None = None
    old_image: dict[str, Any] | None = None
    sequence_number: str | None = None


def _check_batch(cls: type[BatchService]) -> None:
    """The checks of a batch service class (below one of the batch kinds' bases)."""
    name = cls.__qualname__
    if "execute" in vars(cls):
        raise TypeError(
            f"{name}: a batch service implements process_record(self, record), not execute; "
            "rename execute to process_record"
        )
    if not any("process_record" in vars(k) for k in below_kind(cls)):
        raise TypeError(f"{name}: a batch service must define process_record(self, record)")
    parallel = vars(cls).get("parallel", cls.parallel)
    if isinstance(parallel, int) and not isinstance(parallel, bool) and parallel < 1:
        raise TypeError(f"{name}: parallel must be 1 or more threads, got {parallel}")
    margin = vars(cls).get("deadline_margin_ms", cls.deadline_margin_ms)
    if isinstance(margin, int) and not isinstance(margin, bool) and margin < 0:
        raise TypeError(f"{name}: deadline_margin_ms must be 0 or more milliseconds, got {margin}")


BATCH = Kind(
    lifecycle=("validate", "process_record", "on_error"),
    input_methods=("validate", "process_record"),
    options={"parallel": (int,), "deadline_margin_ms": (int,)},
    check=_check_batch,
    source="batch",
)
"""The batch kinds' declaration (each kind names its own ``source``)."""


class BatchService(BaseService, kind=BATCH):
    """The base of the batch kinds; subclass :class:`SqsBatchService`,
    :class:`KinesisBatchService` or :class:`DynamoDBStreamBatchService`.

    Lifecycle per record: ``validate(data)`` (optional), ``process_record(data)``,
    ``on_error(error)``. Class options: those of :class:`~pypwext.BaseService` that apply
    (``operation``, ``service``, ``classification``, ``log_type``, ``idempotency``) and
    ``parallel`` (threads; default 1).
    """

    _event_type: ClassVar[str] = ""  # Powertools' EventType member name

    parallel: ClassVar[int] = 1
    """Records processed at once, on threads (1: one after another)."""

    deadline_margin_ms: ClassVar[int] = DEADLINE_MARGIN_MS
    """Milliseconds of the invocation's remaining time kept back: below this (plus the longest
    a record of the batch has taken), no record is started and every record not yet done is
    reported failed, so that a timeout never makes Lambda retry records that succeeded."""

    # --- the lifecycle -------------------------------------------------------------------------

    def process_record(self, record: Any) -> Any:
        """Process one record, already structured into the annotated type. Raise to fail it
        (it is reported and retried); return anything to succeed."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement process_record(self, record)")

    @property
    def record(self) -> Mapping[str, Any]:
        """The raw record being processed (its attributes, ids, ARNs), in this thread."""
        current = _CURRENT_RECORD.get()
        if current is None:
            raise RuntimeError("there is no record outside process_record")
        return current

    # --- one invocation ------------------------------------------------------------------------

    def __call__(self, event: Any, context: Any = None) -> Any:
        """Process one batch; returns ``{"batchItemFailures": [...]}``."""
        return run_invocation(self, event, context, read_event, self._run_batch)

    def _record_id(self, record: Mapping[str, Any]) -> str | None:
        raise NotImplementedError

    def _payload(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def _sequential(self, records: list[Any]) -> bool:
        return type(self).parallel <= 1

    def _processor(self, records: list[Any]) -> BatchProcessor:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

        event_type = EventType[type(self)._event_type]
        if self._sequential(records):
            return BatchProcessor(event_type, raise_on_entire_batch_failure=False)
        return _threaded_processor(event_type, type(self).parallel)

    def _run_batch(self, request: Request) -> tuple[Any, dict[str, Any], int]:
        event = request.raw_event
        records = event.get("Records") if isinstance(event, Mapping) else None
        if not isinstance(records, list) or not records:
            self.logger.warning("batch event without records: nothing to process", classification=_NA)
            return {"batchItemFailures": []}, {"records": 0, "succeeded": 0, "failed": 0}, 200
        ids: list[str] = []
        for index, record in enumerate(records):
            rid = self._record_id(record) if isinstance(record, Mapping) else None
            if not isinstance(rid, str) or not rid:
                raise ValueError(
                    f"record {index} of the batch has no identifier, so its failure could not be "
                    "reported: failing the whole batch rather than losing the record"
                )
            ids.append(rid)
        processor = self._processor(records)
        progress = self._progress = _Progress(request.context, type(self).deadline_margin_ms)
        with processor(records, self._handle_record):
            processor.process()
        order = {rid: i for i, rid in reversed(list(enumerate(ids)))}
        failures = sorted(
            (dict(f) for f in processor.response()["batchItemFailures"]),
            key=lambda f: order.get(str(f["itemIdentifier"]), len(order)),
        )
        # Each failed record was written by run_item; the processor's (type, error, traceback)
        # of it would tie its frames in a reference cycle, left for the cycle collector.
        recorded = [info[1] for info in processor.exceptions]  # (not the tracebacks themselves)
        processor.exceptions.clear()
        for error in recorded:
            if error is not None:
                drop_tracebacks(error)
        failed = len(failures)
        skipped = [f["itemIdentifier"] for f in failures if f["itemIdentifier"] not in progress.attempted]
        if skipped:
            self.logger.warning(
                f"{progress.stopped or 'FIFO batch stopped at the first failure'}: "
                "the records after it are reported unprocessed",
                classification=_NA,
                record_ids=skipped,
            )
        summary = {"records": len(records), "succeeded": len(records) - failed, "failed": failed}
        if skipped:
            summary["unprocessed"] = len(skipped)
        status = max(progress.codes, default=500 if failed else 200)
        return {"batchItemFailures": failures}, summary, status

    def _handle_record(self, record: Any) -> Any:
        """One record, for Powertools' processor: its result, or an ``Exception`` that makes
        the processor report it (anything the record raised, ``BaseException`` included, was
        logged once by ``run_item``)."""
        raw: Mapping[str, Any] = record.raw_event
        rid = self._record_id(raw)
        progress = self._progress
        if not progress.start(str(rid)):
            raise _NotProcessed(progress.stopped or "stopped")
        token = _CURRENT_RECORD.set(raw)
        started = time.perf_counter()
        try:
            return run_item(
                self,
                "process_record",
                lambda: self._payload(raw),
                self._document_for(raw, rid),
                record_id=rid,
            )
        except KeyboardInterrupt:
            progress.fail(500, stop="batch interrupted (KeyboardInterrupt)")
            raise _RecordFailed("interrupted") from None
        except Exception as exc:
            progress.fail(failure_code(exc))
            raise
        except BaseException as exc:  # SystemExit, GeneratorExit, ...: this record failed, the rest go on
            progress.fail(500)
            raise _RecordFailed(type(exc).__name__) from None
        finally:
            progress.done(time.perf_counter() - started)
            _CURRENT_RECORD.reset(token)

    def _document_for(self, raw: Mapping[str, Any], rid: str | None) -> Callable[[Any], dict[str, Any]]:
        def document(payload: Any) -> dict[str, Any]:
            return {"body": codec.json_form(payload), "id": rid}

        return document

    def _decode_payload(self, data: bytes | str) -> Any:
        """The payload as the input type wants it: text, bytes or parsed JSON."""
        target = type(self)._pypwext_spec.input_type
        if target is bytes:
            return data if isinstance(data, bytes) else data.encode("utf-8")
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DecodeError("record payload is not UTF-8", details={"reason": str(exc)}) from None
        if target is str:
            return data
        try:
            return codec.loads(data)
        except ValueError as exc:
            raise DecodeError(
                "record payload is not JSON (annotate str to receive the text)",
                details={"reason": str(exc)},
            ) from None


class _RecordFailed(Exception):
    """A record raised a ``BaseException`` that is not an ``Exception``: reported failed."""


class _NotProcessed(Exception):
    """A record not started (the deadline is near, or the batch was interrupted): reported."""


class _Progress:
    """One batch's bookkeeping, shared by the threads of ``parallel``: the records started,
    the failures' codes, and whether (and why) to start no more."""

    def __init__(self, context: Any, margin_ms: int) -> None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining: Callable[[], Any] | None = remaining if callable(remaining) else None
        self._margin_ms = margin_ms
        self._slowest_ms = 0.0
        self._lock = threading.Lock()
        self.attempted: set[str] = set()
        self.codes: list[int] = []
        self.stopped: str | None = None

    def start(self, rid: str) -> bool:
        """Whether record ``rid`` may start now (then it counts as attempted)."""
        with self._lock:
            if self.stopped is None and self._remaining is not None:
                left = self._remaining()
                if isinstance(left, (int, float)) and left < self._margin_ms + self._slowest_ms:
                    self.stopped = "the invocation's remaining time is below the batch's deadline margin"
            if self.stopped is not None:
                return False
            self.attempted.add(rid)
            return True

    def fail(self, code: int, stop: str | None = None) -> None:
        with self._lock:
            self.codes.append(code)
            if stop is not None and self.stopped is None:
                self.stopped = stop

    def done(self, seconds: float) -> None:
        with self._lock:
            self._slowest_ms = max(self._slowest_ms, seconds * 1000)


def _threaded_processor(event_type: Any, workers: int) -> BatchProcessor:
    from aws_lambda_powertools.utilities.batch import BatchProcessor

    class ThreadedBatchProcessor(BatchProcessor):
        """Powertools' processor, with the records on a thread pool, each in a copy of the
        invocation's context."""

        def process(self) -> list[tuple[Any, ...]]:
            with ThreadPoolExecutor(max_workers=min(workers, len(self.records))) as pool:
                futures = [
                    pool.submit(contextvars.copy_context().run, self._process_record, record)
                    for record in self.records
                ]
                return [f.result() for f in futures]

    return ThreadedBatchProcessor(event_type, raise_on_entire_batch_failure=False)


def _check_sqs(cls: type[SqsBatchService]) -> None:
    _check_batch(cls)
    if cls.fifo is True and isinstance(cls.parallel, int) and cls.parallel > 1:
        raise TypeError(f"{cls.__qualname__}: a FIFO queue is processed in order; remove parallel or fifo")


class SqsBatchService(
    BatchService,
    kind=BATCH.but(options={**BATCH.options, "fifo": (bool, type(None))}, check=_check_sqs, source="sqs"),
):
    """A batch of SQS messages; ``process_record`` receives each message's body.

    ``fifo``: ``None`` (default) detects a FIFO queue from its ARN (``.fifo``); ``True`` or
    ``False`` decides. A FIFO batch stops at the first failure and reports the rest.
    """

    _event_type = "SQS"

    fifo: ClassVar[bool | None] = None

    def is_fifo(self, records: list[Any]) -> bool:
        """Whether this batch comes from a FIFO queue (the ``fifo`` option, else the ARN)."""
        if type(self).fifo is not None:
            return bool(type(self).fifo)
        first = records[0] if records and isinstance(records[0], Mapping) else {}
        return str(first.get("eventSourceARN", "")).endswith(".fifo")

    def _sequential(self, records: list[Any]) -> bool:
        return self.is_fifo(records) or super()._sequential(records)

    def _processor(self, records: list[Any]) -> BatchProcessor:
        if self.is_fifo(records):
            from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor

            for index, record in enumerate(records):
                if not isinstance(record.get("attributes", {}), Mapping):
                    raise ValueError(
                        f"record {index} of the batch has no attributes, so its message group is "
                        "unknown: failing the whole batch rather than breaking the queue's order"
                    )

            processor = SqsFifoPartialProcessor()
            processor.raise_on_entire_batch_failure = False  # report every record, never raise
            return processor
        return super()._processor(records)

    def _record_id(self, record: Mapping[str, Any]) -> str | None:
        value = record.get("messageId")
        return value if isinstance(value, str) else None

    def _payload(self, record: Mapping[str, Any]) -> Any:
        body = record.get("body")
        if not isinstance(body, str):
            raise DecodeError("SQS record without a body", details={"reason": "body is missing"})
        return self._decode_payload(body)


class KinesisBatchService(BatchService, kind=BATCH.but(source="kinesis")):
    """A batch of Kinesis Data Streams records; ``process_record`` receives each record's
    ``data``, decoded from base64 (then JSON, unless annotated ``str`` or ``bytes``)."""

    _event_type = "KinesisDataStreams"

    def _record_id(self, record: Mapping[str, Any]) -> str | None:
        kinesis = record.get("kinesis")
        value = kinesis.get("sequenceNumber") if isinstance(kinesis, Mapping) else None
        return value if isinstance(value, str) else None

    def _payload(self, record: Mapping[str, Any]) -> Any:
        data = record["kinesis"].get("data")
        if not isinstance(data, str):
            raise DecodeError("Kinesis record without data", details={"reason": "data is missing"})
        try:
            raw = codec.base64_bytes(data)
        except ValueError as exc:
            raise DecodeError("Kinesis data is not base64", details={"reason": str(exc)}) from None
        return self._decode_payload(raw)


class DynamoDBStreamBatchService(BatchService, kind=BATCH.but(source="dynamodb")):
    """A batch of DynamoDB stream records; ``process_record`` receives each record's new image
    as a dict structured into the annotated type (or a :class:`DynamoDBChange`).

    A record without a new image (a ``REMOVE``, or a ``KEYS_ONLY`` stream) is skipped with an
    INFO line unless ``process_record`` takes a :class:`DynamoDBChange`.
    """

    _event_type = "DynamoDBStreams"

    def _record_id(self, record: Mapping[str, Any]) -> str | None:
        dynamodb = record.get("dynamodb")
        value = dynamodb.get("SequenceNumber") if isinstance(dynamodb, Mapping) else None
        return value if isinstance(value, str) else None

    def _handle_record(self, record: Any) -> Any:
        raw: Mapping[str, Any] = record.raw_event
        if type(self)._pypwext_spec.input_type is not DynamoDBChange and "NewImage" not in raw["dynamodb"]:
            self.logger.info(
                "record without a new image skipped (annotate DynamoDBChange to process it)",
                classification=_NA,
                record_id=self._record_id(raw),
                event_name=raw.get("eventName"),
            )
            return None
        return super()._handle_record(record)

    def _payload(self, record: Mapping[str, Any]) -> Any:
        dynamodb = record["dynamodb"]
        try:
            if type(self)._pypwext_spec.input_type is DynamoDBChange:
                return DynamoDBChange(
                    event_name=str(record.get("eventName", "")),
                    keys=_deserialise(dynamodb.get("Keys") or {}),
                    new_image=_deserialise(dynamodb["NewImage"]) if "NewImage" in dynamodb else None,
                    old_image=_deserialise(dynamodb["OldImage"]) if "OldImage" in dynamodb else None,
                    sequence_number=dynamodb.get("SequenceNumber"),
                )
            return _deserialise(dynamodb["NewImage"])
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise DecodeError("DynamoDB image cannot be read", details={"reason": repr(exc)}) from None
