"""S3 object services on hostile objects, against moto's S3: a line over the limit, a gzip
bomb, a CSV field over the limit and an unterminated quote each fail their rows with a reason
(one ERROR line each), never the whole object, never unbounded memory, and never a row lost
without being counted."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import attrs
import boto3
import pytest

from pypwext.kinds._s3 import MAX_RECORD_BYTES, S3ObjectService
from pypwext.testing import lambda_context, s3_event
from tests._support.logs import json_lines

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("s3_stream_worker.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def moto_s3(moto_server: Any) -> Any:
    """boto3 pointed at moto's server for the module (no per-test reset: a bucket per test)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in moto_server.env().items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield boto3.client("s3"), moto_server.env()


@pytest.fixture
def bucket(moto_s3: Any) -> tuple[Any, str]:
    client, _ = moto_s3
    name = f"hostile-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return client, name


def errors(text: str) -> list[dict[str, Any]]:
    return [e for e in json_lines(text) if e.get("level") == "ERROR"]


def run(service: type, s3: Any, name: str, key: str) -> dict[str, Any]:
    answer = service(s3=s3)(s3_event(name, key), lambda_context())
    report: dict[str, Any] = answer["objects"][0]
    return report


@attrs.frozen
class Item:
    id: int


def lines_service(seen: list[str], limit: int | None = None) -> type:
    class Lines(S3ObjectService):
        def process_record(self, line: str) -> None:
            seen.append(line)

    if limit is not None:
        Lines.max_record_bytes = limit
    return Lines


@pytest.mark.parametrize(
    "body, good, bad_lines",
    [
        (b"a\n" + b"x" * 100 + b"\nb\n", ["a", "b"], [2]),  # at the limit: kept
        (b"a\n" + b"x" * 101 + b"\nb\n", ["a", "b"], [2]),
        (b"x" * 101 + b"\r\na\r\nb", ["a", "b"], [1]),
        (b"a\nb\n" + b"y" * 500, ["a", "b"], [3]),  # the last line, unterminated
    ],
    ids=["at-limit", "over-limit", "first-crlf", "last-unterminated"],
)
def test_a_line_over_the_limit_fails_with_a_reason_and_the_rest_go_on(
    bucket: Any, capsys: pytest.CaptureFixture[str], body: bytes, good: list[str], bad_lines: list[int]
) -> None:
    s3, name = bucket
    s3.put_object(Bucket=name, Key="in.txt", Body=body)
    seen: list[str] = []
    report = run(lines_service(seen, limit=100), s3, name, "in.txt")
    longest = max(len(line.rstrip(b"\r")) for line in body.split(b"\n"))
    if longest <= 100:
        assert report["failed"] == 0 and seen == ["a", "x" * 100, "b"]
        return
    assert seen == good
    assert (report["records"], report["failed"], report["failed_lines"]) == (3, 1, bad_lines)
    (error,) = errors(capsys.readouterr().out)
    assert error["line"] == bad_lines[0] and "max_record_bytes" in error["exception"]


def test_the_default_limit_holds_a_line_of_several_chunks(
    bucket: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    s3, name = bucket
    lines = [b'{"id": 1}', b'{"id": 2, "pad": "' + b"p" * (3 * MAX_RECORD_BYTES) + b'"}', b'{"id": 3}']
    s3.put_object(Bucket=name, Key="in.jsonl", Body=b"\n".join(lines))
    seen: list[int] = []

    class Items(S3ObjectService):
        record_format = "jsonl"

        def process_record(self, item: Item) -> None:
            seen.append(item.id)

    report = run(Items, s3, name, "in.jsonl")
    assert seen == [1, 3]
    assert (report["records"], report["failed"], report["failed_lines"]) == (3, 1, [2])
    assert len(errors(capsys.readouterr().out)) == 1


def test_a_gzipped_object_with_a_line_over_the_limit_fails_that_line_only(bucket: Any) -> None:
    s3, name = bucket
    s3.put_object(Bucket=name, Key="in.txt.gz", Body=gzip.compress(b"a\n" + b"z" * 5000 + b"\nb\n"))
    seen: list[str] = []
    report = run(lines_service(seen, limit=1000), s3, name, "in.txt.gz")
    assert seen == ["a", "b"] and report["failed_lines"] == [2]


# --- CSV ----------------------------------------------------------------------------------------


def csv_service(seen: list[dict[str, Any]], limit: int | None = None) -> type:
    class Rows(S3ObjectService):
        record_format = "csv"

        def process_record(self, row: dict[str, Any]) -> None:
            seen.append(row)

    if limit is not None:
        Rows.max_record_bytes = limit
    return Rows


def test_a_csv_field_over_the_limit_fails_its_row_not_the_object(
    bucket: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    s3, name = bucket
    huge = "h" * 200_000  # over csv's field limit (131072 characters), under max_record_bytes
    text = f'id,note\n1,ok\n2,{huge}\n3,"{huge}"\n4,fine\n'
    s3.put_object(Bucket=name, Key="in.csv", Body=text.encode())
    seen: list[dict[str, Any]] = []
    report = run(csv_service(seen), s3, name, "in.csv")
    assert [r["id"] for r in seen] == ["1", "4"]
    assert (report["records"], report["failed"], report["failed_lines"]) == (4, 2, [3, 4])
    assert [e["line"] for e in errors(capsys.readouterr().out)] == [3, 4]


def test_a_csv_row_over_max_record_bytes_fails_its_row(bucket: Any) -> None:
    s3, name = bucket
    text = "id,a,b\n1,x,y\n2," + "q" * 600 + "," + "r" * 600 + "\n3,x,y\n"
    s3.put_object(Bucket=name, Key="in.csv", Body=text.encode())
    seen: list[dict[str, Any]] = []
    report = run(csv_service(seen, limit=1000), s3, name, "in.csv")
    assert [r["id"] for r in seen] == ["1", "3"] and report["failed_lines"] == [3]


def test_an_unterminated_quote_reports_the_rows_it_swallowed(
    bucket: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    s3, name = bucket
    s3.put_object(Bucket=name, Key="in.csv", Body=b'id,v\n1,a\n2,"oops\n3,c\n4,d\n')
    seen: list[dict[str, Any]] = []
    report = run(csv_service(seen), s3, name, "in.csv")
    assert seen == [{"id": "1", "v": "a"}]
    assert (report["records"], report["succeeded"], report["failed"]) == (4, 1, 3)
    assert report["failed_lines"] == [3, 4, 5]
    (error,) = errors(capsys.readouterr().out)
    assert error["line"] == 3 and "never closed" in error["exception"]


def test_an_unterminated_quote_in_a_large_object_is_given_up_and_reading_goes_on(
    bucket: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    s3, name = bucket
    rows = 60_000
    body = b'id,v\n1,a\n2,"oops\n' + b"".join(b"%d,x\n" % n for n in range(3, rows + 3))
    s3.put_object(Bucket=name, Key="in.csv", Body=body)
    seen: list[dict[str, Any]] = []
    report = run(csv_service(seen), s3, name, "in.csv")
    data_lines = body.count(b"\n") - 1
    assert report["records"] == data_lines, "every line is a row: processed or reported"
    assert report["succeeded"] == len(seen) and report["succeeded"] + report["failed"] == data_lines
    assert 0 < report["failed"] < data_lines - 1 and seen[-1] == {"id": str(rows + 2), "v": "x"}
    assert len(errors(capsys.readouterr().out)) == 1


# --- memory, in a process of its own ------------------------------------------------------------


def _bomb(inflated: int) -> bytes:
    """A gzip object of ``inflated`` bytes: a good line, one line of zeros, a good line. Made of
    gzip members, which a gzip reader reads as one stream: one member of 1 MiB of zeros
    (about 1 KB compressed), repeated."""
    zeros = gzip.compress(bytes(1024 * 1024), compresslevel=9)
    return gzip.compress(b"first\n") + zeros * (inflated // (1024 * 1024)) + gzip.compress(b"\nlast\n")


def test_a_gzip_bomb_fails_its_record_in_bounded_memory(bucket: Any, moto_s3: Any) -> None:
    s3, name = bucket
    bomb = _bomb(1024 * 1024 * 1024)  # 1 GiB inflated
    assert len(bomb) < 2 * 1024 * 1024
    s3.put_object(Bucket=name, Key="bomb.txt.gz", Body=bomb)
    s3.put_object(Bucket=name, Key="warm.txt.gz", Body=gzip.compress(b"a\nb\n"))
    _, env = moto_s3
    done = subprocess.run(
        [sys.executable, str(WORKER), name, "bomb.txt.gz", "lines", "warm.txt.gz"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
        env={**_process_env(env), "S3_WORKER_AS_LIMIT_MB": "1024"},
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    growth_mb = (result["vm_hwm_kb"] - result["rss_before_kb"]) / 1024
    print(f"gzip bomb {len(bomb) / 1e6:.1f} MB -> 1 GiB: peak RSS growth {growth_mb:.1f} MB")
    assert "error" not in result["answer"], result["answer"]
    report = result["answer"]["objects"][0]
    assert (report["records"], report["succeeded"], report["failed"], report["failed_lines"]) == (
        3,
        2,
        1,
        [2],
    )
    assert result["totals"]["rows"] == 2
    assert growth_mb < 100, f"the bomb grew the process by {growth_mb:.0f} MB"
    (error,) = [e for e in json_lines(done.stdout) if e.get("level") == "ERROR"]
    assert error["line"] == 2 and "max_record_bytes" in error["exception"]


def _process_env(aws: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **aws}


def test_an_audit_s3_service_writes_its_audit_entry_at_warning_with_its_outcome(
    bucket: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypwext.base import LogEntryType

    s3, name = bucket
    s3.put_object(Bucket=name, Key="good.jsonl", Body=b'{"id": 1}\n')
    s3.put_object(Bucket=name, Key="bad.jsonl", Body=b'{"id": 1}\nnot json\n')
    monkeypatch.setenv("LOG_LEVEL", "WARNING")

    class Imports(S3ObjectService):
        service = f"audit-{uuid.uuid4().hex[:8]}"
        log_type = LogEntryType.AUDIT
        record_format = "jsonl"

        def process_record(self, item: Item) -> None:
            pass

    run(Imports, s3, name, "good.jsonl")
    run(Imports, s3, name, "bad.jsonl")
    audit = [e for e in json_lines(capsys.readouterr().out) if e["type"] == "AUDIT" and "status" in e]
    assert [(a["outcome"], a["status"], a["source"], a["failed"]) for a in audit] == [
        ("success", 200, "s3", 0),
        ("failure", 400, "s3", 1),
    ]
