"""S3 object services against moto's S3: rows by generator, failures per row, and a file of
more than 200 MB processed in a separate process whose peak memory stays far below its size."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import boto3
import pytest

from pypwext import ServiceError
from pypwext.kinds._s3 import S3ObjectService
from pypwext.testing import lambda_context, s3_event

pytestmark = pytest.mark.integration

BUCKET = "uploads"
WORKER = Path(__file__).with_name("s3_stream_worker.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def s3(aws_env):
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return client


@attrs.frozen
class Order:
    order_id: int
    quantity: int


def test_jsonl_rows_with_failures_are_reported_by_line(s3):
    lines = [
        json.dumps({"order_id": 1, "quantity": 2}),
        "not json",
        "",
        json.dumps({"order_id": 3, "quantity": "many"}),
        json.dumps({"order_id": 4, "quantity": 1}),
        json.dumps({"order_id": 5, "quantity": -1}),
    ]
    s3.put_object(Bucket=BUCKET, Key="in/orders 1.jsonl", Body="\n".join(lines).encode())
    done: list[int] = []

    class Orders(S3ObjectService):
        record_format = "jsonl"

        def process_record(self, order: Order) -> None:
            assert self.object.key == "in/orders 1.jsonl"
            if order.quantity < 0:
                raise ValueError("negative")
            done.append(order.order_id)

    answer = Orders(s3=s3)(s3_event(BUCKET, "in/orders 1.jsonl"), lambda_context())
    assert answer == {
        "objects": [
            {
                "bucket": BUCKET,
                "key": "in/orders 1.jsonl",
                "records": 5,
                "succeeded": 2,
                "failed": 3,
                "failed_lines": [2, 4, 6],
            }
        ]
    }
    assert done == [1, 4]


def test_csv_rows_gzip_and_quoted_newlines(s3):
    text = 'order_id,quantity,note\n1,2,"two\nlines"\n2,x,bad\n3,4,ok\n'
    s3.put_object(Bucket=BUCKET, Key="orders.csv.gz", Body=gzip.compress(text.encode()))
    rows: list[dict[str, Any]] = []

    class Csv(S3ObjectService):
        record_format = "csv"

        def process_record(self, row: dict[str, str]) -> None:
            int(row["quantity"])
            rows.append(row)

    answer = Csv(s3=s3)(s3_event(BUCKET, "orders.csv.gz"), lambda_context())
    report = answer["objects"][0]
    assert (report["records"], report["succeeded"], report["failed"], report["failed_lines"]) == (
        3,
        2,
        1,
        [4],
    )
    assert rows[0]["note"] == "two\nlines"


def test_raise_on_record_errors_and_a_missing_object(s3):
    s3.put_object(Bucket=BUCKET, Key="lines.txt", Body=b"a\r\nb\r\nc")

    class Strict(S3ObjectService):
        raise_on_record_errors = True

        def process_record(self, line: str) -> None:
            if line == "b":
                raise ValueError("b is bad")

    with pytest.raises(ServiceError, match="1 records failed"):
        Strict(s3=s3)(s3_event(BUCKET, "lines.txt"), lambda_context())
    with pytest.raises(Exception, match="NoSuchKey"):
        Strict(s3=s3)(s3_event(BUCKET, "missing.txt"), lambda_context())
    removed = s3_event(BUCKET, "lines.txt", event_name="ObjectRemoved:Delete")
    assert Strict(s3=s3)(removed, lambda_context()) == {"objects": []}


ROW_PADDING = 4000
PART_SIZE = 8 * 1024 * 1024
MIN_FILE_SIZE = 200 * 1024 * 1024


def _parts(min_size: int) -> Any:
    """Parts of a JSON-lines file of at least ``min_size`` bytes, generated one part at a time."""
    row_id = 0
    written = 0
    while written < min_size:
        lines = []
        size = 0
        while size < PART_SIZE:
            row_id += 1
            line = json.dumps({"id": row_id, "name": f"row {row_id}", "padding": "x" * ROW_PADDING}) + "\n"
            lines.append(line)
            size += len(line)
        part = "".join(lines).encode()
        written += len(part)
        yield part, row_id


@pytest.mark.slow
def test_a_200mb_object_is_processed_in_constant_memory(s3):
    key = "big/rows.jsonl"
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key)
    etags = []
    total_size = 0
    rows = 0
    for number, (part, last_id) in enumerate(_parts(MIN_FILE_SIZE), 1):
        answer = s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=part
        )
        etags.append({"ETag": answer["ETag"], "PartNumber": number})
        total_size += len(part)
        rows = last_id
    s3.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": etags}
    )
    assert s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == total_size >= MIN_FILE_SIZE

    small = "big/warm-up.jsonl"
    s3.put_object(Bucket=BUCKET, Key=small, Body=next(_parts(1))[0][:100_000].rsplit(b"\n", 1)[0] + b"\n")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(WORKER), BUCKET, key, "jsonl", small],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    report = result["answer"]["objects"][0]
    assert (report["records"], report["succeeded"], report["failed"]) == (rows, rows, 0)
    assert result["totals"] == {"rows": rows, "id_sum": rows * (rows + 1) // 2}

    # VmHWM, not ru_maxrss: on Linux ru_maxrss keeps the high-water mark of the process image
    # before exec, i.e. of this (forked) test process, which holds the upload's parts.
    peak_mb = result["vm_hwm_kb"] / 1024
    growth_mb = (result["vm_hwm_kb"] - result["rss_before_kb"]) / 1024
    file_mb = total_size / (1024 * 1024)
    print(
        f"file {file_mb:.0f} MB, {rows} rows in {elapsed:.1f} s: peak RSS {peak_mb:.0f} MB, growth {growth_mb:.1f} MB"
    )
    assert peak_mb < file_mb / 2, f"peak RSS {peak_mb:.0f} MB for a {file_mb:.0f} MB file"
    assert growth_mb < 16, f"processing grew the process by {growth_mb:.1f} MB"
