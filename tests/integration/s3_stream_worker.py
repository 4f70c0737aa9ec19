"""Run in a subprocess by test_s3_streaming and test_s3_hostile: process one S3 object with an
S3ObjectService and print, as JSON, what it counted and the process's memory (RSS before, peak
after). ``lines`` counts lines (as ``str``); ``jsonl``/``csv`` structure each row into ``Row``.

``S3_WORKER_AS_LIMIT_MB``: when set, the process's address space is capped at that many MB
above what it uses once warmed up, so that code reading a hostile object without bound fails
with MemoryError instead of taking the machine's memory."""

from __future__ import annotations

import json
import os
import resource
import sys

import attrs


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


@attrs.frozen
class Row:
    id: int
    name: str
    padding: str


def main(bucket: str, key: str, record_format: str) -> None:
    from pypwext.kinds._s3 import S3ObjectService
    from pypwext.testing import lambda_context, s3_event

    totals = {"rows": 0, "id_sum": 0}

    class CountRows(S3ObjectService):
        def process_record(self, row: Row) -> None:
            totals["rows"] += 1
            totals["id_sum"] += row.id

    class CountLines(S3ObjectService):
        def process_record(self, line: str) -> None:
            totals["rows"] += 1

    service_class = CountLines if record_format == "lines" else CountRows
    service_class.record_format = record_format
    service = service_class()
    warm_up = sys.argv[4] if len(sys.argv) > 4 else None
    if warm_up:  # the same path on a small object: imports, client, converter hooks, logger
        service(s3_event(bucket, warm_up), lambda_context(timeout_s=900))
        totals.update(rows=0, id_sum=0)
    before_kb = _status_kb("VmRSS")
    cap = os.environ.get("S3_WORKER_AS_LIMIT_MB")
    if cap:
        size = _status_kb("VmSize") * 1024 + int(cap) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    try:
        answer = service(s3_event(bucket, key), lambda_context(timeout_s=900))
    except MemoryError:
        answer = {"error": "MemoryError"}
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "answer": answer,
                "totals": totals,
                "rss_before_kb": before_kb,
                "peak_rss_kb": peak_kb,
                "vm_hwm_kb": _status_kb("VmHWM"),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
