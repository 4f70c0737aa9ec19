"""S3 object services: a CSV or JSON-lines object processed row by row, in constant memory.

``class X(S3ObjectService)`` writes ``process_record(self, row)``. For each object named by an
S3 notification event, the object is read as a stream (boto3's ``StreamingBody``, 1 MiB at a
time; ``.gz`` keys are decompressed on the fly), split into records by a generator, and each
record is structured into the type annotated on ``process_record`` and processed -- so an
object larger than the Lambda's memory is processed with the memory of one chunk and one row.

``record_format``:

``"lines"`` (default)
    each line, without its line break, as ``str`` (empty lines included);
``"jsonl"``
    each non-empty line parsed as JSON, then structured;
``"csv"``
    each row after the header row as a ``dict`` keyed by the header, then structured (fields
    spanning lines inside quotes are read whole).

Rules:

* **Row failures** (a line that is not JSON, a row that does not fit the type, an exception in
  ``validate`` or ``process_record``) are logged with the bucket, the key and the line number,
  counted, and the next row goes on: one bad row does not stop or repeat a million good ones.
  ``on_error`` sees each one first. ``raise_on_record_errors = True`` raises after the whole
  object was read when any row failed, so that the event goes to Lambda's retries and then the
  on-failure destination or DLQ (every row runs again then: make ``process_record``
  idempotent).
* **Hostile objects.** A line or CSV row over ``max_record_bytes`` (1 MiB) is a failed row,
  skipped a chunk at a time and never held; gzip is inflated a chunk at a time (a gzip bomb
  costs time, not memory); a CSV field over ``csv.field_size_limit()`` fails its row; an
  unterminated quote fails its row, counted once per line it swallowed.
* **The object itself** failing (no such key, access denied, a broken stream) raises: S3
  invokes asynchronously, so Lambda retries the event and then hands it to the DLQ.
* Events other than ``ObjectCreated:*`` are skipped with an INFO line. Keys are URL-decoded
  as S3 encodes them (``+`` for a space).
* The answer (and the summary line) counts rows: ``{"objects": [{"bucket", "key", "records",
  "succeeded", "failed", "failed_lines"}]}`` (the first 100 failed line numbers).
"""

from __future__ import annotations

import contextvars
import csv
import gzip
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import unquote_plus

import attrs

from pypwext import codec
from pypwext._lazy import pattern
from pypwext.errors import BadRequest, ServiceError
from pypwext.kinds._common import DecodeError, read_event, run_item
from pypwext.runtime._dependency import Dependency
from pypwext.runtime._pipeline import failure_code, run_invocation
from pypwext.runtime._service import BaseService
from pypwext.runtime._spec import Kind
from pypwext.wire._events import Request

__all__ = ["S3Client", "S3Object", "S3ObjectService"]

CHUNK_SIZE = 1024 * 1024
"""Bytes read from the object at a time."""

MAX_FAILED_LINES = 100
"""Failed line numbers listed per object in the answer (all are logged)."""

MAX_RECORD_BYTES = 1024 * 1024
"""The default ``max_record_bytes``: the longest line (its line break not counted) or CSV row
(all its lines) read into memory; a longer one fails, with its reason, and is never held."""


@attrs.frozen
class _Unreadable:
    """A record that was not read into memory, and why; ``lines`` is how many lines it took
    (an unterminated quote swallows every line after it: each counts as a failed row)."""

    reason: str
    lines: int = 1


_FORMATS = ("lines", "jsonl", "csv")

_CURRENT_OBJECT: contextvars.ContextVar[S3Object | None] = contextvars.ContextVar(
    "pypwext_s3_object", default=None
)


class S3Client(Dependency[Any]):
    """A boto3 S3 client, built once per container (boto3 is imported then, not before)."""

    def build(self) -> Any:
        import boto3

        return boto3.client("s3")

    def iam_actions(self) -> list[tuple[str, str]]:
        return [("s3:GetObject", "arn:${AWS::Partition}:s3:::*/*")]


@attrs.frozen
class S3Object:
    """The object named by one record of an S3 event (``self.object`` during processing)."""

    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None
    event_name: str = ""


def _check_s3_service(cls: type[S3ObjectService]) -> None:
    """The checks of an S3 object service class."""
    fmt = vars(cls).get("record_format")
    if isinstance(fmt, str) and fmt not in _FORMATS:
        raise TypeError(
            f"{cls.__qualname__}: record_format must be one of {', '.join(_FORMATS)}, got {fmt!r}"
        )
    if "execute" in vars(cls):
        raise TypeError(
            f"{cls.__qualname__}: an S3 object service implements process_record(self, row), not execute"
        )
    limit = vars(cls).get("max_record_bytes")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit < 1:
        raise TypeError(f"{cls.__qualname__}: max_record_bytes must be 1 or more, got {limit}")


S3 = Kind(
    lifecycle=("validate", "process_record", "on_error"),
    input_methods=("validate", "process_record"),
    options={
        "record_format": (str,),
        "encoding": (str,),
        "raise_on_record_errors": (bool,),
        "max_record_bytes": (int,),
    },
    check=_check_s3_service,
    source="s3",
)


class S3ObjectService(BaseService, kind=S3):
    """A service for S3 notifications that processes each new object row by row.

    Lifecycle per row: ``validate(row)`` (optional), ``process_record(row)``,
    ``on_error(error)``. Class options: ``record_format`` (``"lines"``, ``"jsonl"``,
    ``"csv"``), ``encoding`` (default ``"utf-8"``), ``raise_on_record_errors`` (default
    ``False``), and ``operation``, ``service``, ``classification``, ``log_type``,
    ``idempotency`` (document: ``{"body": row, "bucket", "key", "line", "etag"}``).
    The S3 client is the dependency ``s3`` (``Service(s3=fake)`` in tests).
    """

    record_format: ClassVar[str] = "lines"
    encoding: ClassVar[str] = "utf-8"
    raise_on_record_errors: ClassVar[bool] = False
    max_record_bytes: ClassVar[int] = MAX_RECORD_BYTES
    """The longest line or CSV row held in memory (bytes); a longer one is a failed row."""

    s3 = S3Client()

    def process_record(self, row: Any) -> Any:
        """Process one row (a line, a JSON value or a CSV row, structured). Raise to fail it."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement process_record(self, row)")

    @property
    def object(self) -> S3Object:
        """The object being processed."""
        current = _CURRENT_OBJECT.get()
        if current is None:
            raise RuntimeError("there is no object outside process_record")
        return current

    # --- reading --------------------------------------------------------------------------------

    def open(self, obj: S3Object) -> Any:
        """The object's body as a file-like stream (``get_object``'s ``Body``)."""
        params: dict[str, Any] = {"Bucket": obj.bucket, "Key": obj.key}
        if obj.version_id:
            params["VersionId"] = obj.version_id
        return self.s3.get_object(**params)["Body"]

    def records(self, obj: S3Object) -> Iterator[tuple[int, Any]]:
        """``(line number, raw record)`` pairs of the object, read as a stream: ``bytes`` of
        one line for ``lines``/``jsonl``, a ``dict`` for ``csv`` (its first line's number); a
        record over ``max_record_bytes`` or unreadable comes as a marker that fails its row."""
        cls = type(self)
        body = self.open(obj)
        try:
            read = gzip.GzipFile(fileobj=body).read if obj.key.endswith(".gz") else body.read
            lines = _byte_lines(read, cls.max_record_bytes)
            fmt = cls.record_format
            if fmt == "csv":
                yield from _csv_records(lines, cls.encoding, cls.max_record_bytes)
            else:
                for number, line in enumerate(lines, 1):
                    if fmt == "jsonl" and isinstance(line, bytes) and not line.strip():
                        continue
                    yield number, line
        finally:
            body.close()

    def _load(self, raw: Any) -> Any:
        if isinstance(raw, dict):
            return raw
        if isinstance(raw, _Unreadable):
            raise DecodeError(raw.reason, details={"reason": raw.reason})
        try:
            text = raw.decode(type(self).encoding).rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise DecodeError("line is not valid text", details={"reason": str(exc)}) from None
        if type(self).record_format == "lines":
            return text
        try:
            return codec.loads(text)
        except ValueError as exc:
            raise DecodeError("line is not JSON", details={"reason": str(exc)}) from None

    # --- one invocation -------------------------------------------------------------------------

    def __call__(self, event: Any, context: Any = None) -> Any:
        """Process every object the event names; returns the row counts per object."""
        return run_invocation(self, event, context, read_event, self._run_objects)

    def _run_objects(self, request: Request) -> tuple[Any, dict[str, Any], int]:
        objects = _objects(request.raw_event)
        reports = []
        totals = {"objects": 0, "records": 0, "succeeded": 0, "failed": 0}
        for obj in objects:
            if not obj.event_name.startswith("ObjectCreated:"):
                # an object key may carry data: redacted by the service's classification
                self.logger.info(
                    "event skipped: not an ObjectCreated event",
                    extra={"bucket": obj.bucket, "key": obj.key, "event_name": obj.event_name},
                )
                continue
            report = self._run_object(obj)
            reports.append(report)
            totals["objects"] += 1
            for name in ("records", "succeeded", "failed"):
                totals[name] += report[name]
        status = max((r.pop("_code") for r in reports if "_code" in r), default=200)
        failed = [r for r in reports if r["failed"]]
        if failed and type(self).raise_on_record_errors:
            raise ServiceError(
                f"{sum(r['failed'] for r in failed)} records failed",
                details={"objects": failed},
            )
        return {"objects": reports}, totals, status

    def _run_object(self, obj: S3Object) -> dict[str, Any]:
        report: dict[str, Any] = {
            "bucket": obj.bucket,
            "key": obj.key,
            "records": 0,
            "succeeded": 0,
            "failed": 0,
            "failed_lines": [],
        }
        token = _CURRENT_OBJECT.set(obj)
        try:
            for line, raw in self.records(obj):
                count = raw.lines if isinstance(raw, _Unreadable) else 1
                report["records"] += count
                try:
                    run_item(
                        self,
                        "process_record",
                        lambda raw=raw: self._load(raw),  # type: ignore[misc]
                        lambda row, line=line: {  # type: ignore[misc]
                            "body": row,
                            "bucket": obj.bucket,
                            "key": obj.key,
                            "line": line,
                            "etag": obj.etag,
                        },
                        bucket=obj.bucket,
                        key=obj.key,
                        line=line,
                    )
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # logged once by run_item; the next row goes on
                    report["_code"] = max(report.get("_code", 0), failure_code(exc))
                    report["failed"] += count
                    room = MAX_FAILED_LINES - len(report["failed_lines"])
                    report["failed_lines"].extend(range(line, line + min(count, max(room, 0))))
                else:
                    report["succeeded"] += count
        finally:
            _CURRENT_OBJECT.reset(token)
        return report


def _objects(event: Any) -> list[S3Object]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise BadRequest("not an S3 event", details={"reason": "no Records"})
    found = []
    for index, record in enumerate(records):
        s3 = record.get("s3") if isinstance(record, Mapping) else None
        if not isinstance(s3, Mapping) or record.get("eventSource") != "aws:s3":
            raise BadRequest(
                "not an S3 event", details={"reason": f"record {index} is not an S3 notification"}
            )
        bucket_info, obj = s3.get("bucket"), s3.get("object")
        bucket = bucket_info.get("name") if isinstance(bucket_info, Mapping) else None
        if not isinstance(obj, Mapping):
            obj = {}
        if not isinstance(bucket, str) or not isinstance(obj.get("key"), str):
            raise BadRequest("not an S3 event", details={"reason": f"record {index} names no bucket and key"})
        size = obj.get("size")
        found.append(
            S3Object(
                bucket=bucket,
                key=unquote_plus(obj["key"]),
                size=size if isinstance(size, int) else None,
                etag=obj.get("eTag"),
                version_id=obj.get("versionId"),
                event_name=str(record.get("eventName", "")),
            )
        )
    return found


def _byte_lines(read: Callable[[int], bytes], limit: int) -> Iterator[bytes | _Unreadable]:
    """The lines of a stream, with their line breaks, reading ``CHUNK_SIZE`` bytes at a time
    (decompressed bytes for a gzip stream, so a gzip bomb is read a chunk at a time too). A
    line longer than ``limit`` is not kept: its bytes are counted and dropped up to its end,
    and it comes as an :class:`_Unreadable`."""
    pending = b""
    skipped = 0  # > 0: the bytes so far of a line over the limit, being dropped
    while True:
        chunk = read(CHUNK_SIZE)
        if not chunk:
            break
        if b"\n" not in chunk and b"\r" not in chunk and (skipped or len(pending) + len(chunk) > limit):
            skipped += len(pending) + len(chunk)  # the middle of a line over the limit
            pending = b""
            continue
        lines = (pending + chunk).splitlines(keepends=True)
        # an unfinished last line (or a \r whose \n may come next) waits for the next chunk
        pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        for line in lines:
            size = skipped + len(line.rstrip(b"\r\n"))
            skipped = 0
            yield _too_long(size, limit) if size > limit else line
        if skipped or len(pending.rstrip(b"\r")) > limit:
            skipped += len(pending)
            pending = b""
    if skipped or pending:
        size = skipped + len(pending.rstrip(b"\r\n"))
        yield _too_long(size, limit) if size > limit else pending


def _too_long(size: int, limit: int) -> _Unreadable:
    return _Unreadable(f"the line is {size} bytes long, over the limit of {limit} (max_record_bytes)")


_CONDENSED = pattern(r'[^",\r\n]+')


class _CsvLines:
    """The lines of a CSV object as text, for :mod:`csv`, counting the lines and bytes of the
    row being read. Past ``limit`` (or on a line that is not text) the row is failed and only
    its shape goes on to the reader -- quotes, commas, line breaks, the rest condensed -- so the
    reader still finds where the row ends without holding it; a quote that never closes is
    given up at :func:`csv.field_size_limit`, and reading goes on from the next line."""

    def __init__(self, lines: Iterator[bytes | _Unreadable], encoding: str, limit: int) -> None:
        self._lines = lines
        self._encoding = encoding
        self._limit = limit
        self.number = 0  # lines read
        self.row_bytes = 0
        self.problem: str | None = None
        self.ended = False

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except StopIteration:
            self.ended = True
            raise
        self.number += 1
        if isinstance(line, _Unreadable):
            self.problem = self.problem or line.reason
            return "x\n"
        self.row_bytes += len(line)
        if self.problem is None and self.row_bytes > self._limit:
            self.problem = f"the row is over {self._limit} bytes (max_record_bytes)"
        if self.problem is None:
            try:
                return line.decode(self._encoding)
            except UnicodeDecodeError:
                self.problem = f"the row is not valid {self._encoding} text"
        return _CONDENSED().sub("x", line.decode("latin-1"))


def _csv_records(
    lines: Iterator[bytes | _Unreadable], encoding: str, limit: int
) -> Iterator[tuple[int, dict[Any, Any] | _Unreadable]]:
    """The rows after the header as dicts keyed by it (as :class:`csv.DictReader` makes them:
    extra fields under ``None``, missing ones ``None``), by their first line's number; a row
    that cannot be read comes as an :class:`_Unreadable` that counts every line it took."""
    feed = _CsvLines(lines, encoding, limit)
    reader = csv.reader(feed)
    header: list[str] | None = None
    while True:
        first = feed.number + 1
        feed.row_bytes, feed.problem = 0, None
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            feed.problem = f"a field is over {csv.field_size_limit()} characters, or the row is not valid CSV"
            row = None
        last = max(feed.number, first)
        if row is not None and feed.ended:  # the input ended inside a quoted field
            feed.problem = (
                f"a quote opened on line {first} is never closed: lines {first} to {last} are not rows"
            )
        if feed.problem is not None:
            if header is None:
                raise DecodeError("the CSV header row cannot be read", details={"reason": feed.problem})
            yield first, _Unreadable(feed.problem, last - first + 1)
            continue
        assert row is not None
        if not row:
            continue  # a blank line
        if header is None:
            header = row
            continue
        record: dict[Any, Any] = dict(zip(header, row, strict=False))
        if len(row) > len(header):
            record[None] = row[len(header) :]
        for name in header[len(row) :]:
            record[name] = None
        yield first, record
