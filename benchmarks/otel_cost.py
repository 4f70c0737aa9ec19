"""What tracing costs a pypwext function: OpenTelemetry (exported by the function itself to an
OTLP/HTTP receiver on 127.0.0.1) against tracing off and against the X-Ray SDK path.

Run from the repository root::

    .venv/bin/python benchmarks/otel_cost.py            # ~1 min
    .venv/bin/python benchmarks/otel_cost.py --quick    # fewer runs

Cold start: a fresh interpreter per run imports examples/orders and answers one API Gateway REST
event; the time is taken inside the child from its first line to the answer (import + first
invocation, export included), median of the runs, as CPU time of the child (what a loaded
machine disturbs least) and as wall time. Warm: µs per invocation in-process after a
warm-up, best of interleaved rounds (each OpenTelemetry invocation exports its spans in one
loopback request; each X-Ray one sends its subsegments over UDP to a socket of this process).
Output goes to /dev/null; the loopback receiver decodes nothing (it answers 200).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import time, sys, os, json
t0, c0 = time.perf_counter(), time.process_time()
sys.path.insert(0, {repo!r})
from examples.orders.app import CreateOrder
from pypwext.testing import api_gateway_event, lambda_context
t1, c1 = time.perf_counter(), time.process_time()
cls = type("Bench", (CreateOrder,), {{"service": "bench", "tracing": {tracing}}})
order = {{"id": 1, "description": "books", "items": [{{"id": 7, "quantity": 2, "description": "SICP"}}]}}
event = api_gateway_event("POST", "/orders", body=order)
out = sys.stdout
sys.stdout = open(os.devnull, "w")
answer = cls.handler(event, lambda_context("bench"))
t2, c2 = time.perf_counter(), time.process_time()
assert answer["statusCode"] in (200, 201), answer
warm = warm_cpu = None
if {warm}:
    import timeit
    number = {number}
    for _ in range(50):
        cls.handler(event, lambda_context("bench"))
    ctx = lambda_context("bench")
    c3 = time.process_time()
    warm = min(timeit.repeat(lambda: cls.handler(event, ctx), number=number, repeat={rounds})) / number * 1e6
    warm_cpu = (time.process_time() - c3) / (number * {rounds}) * 1e6
sys.stdout = out
loaded = [m for m in sys.modules if m.split(".")[0] in ("opentelemetry", "aws_xray_sdk", "google", "botocore", "requests")]
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "first_ms": (t2 - t1) * 1e3, "warm_us": warm, "warm_cpu_us": warm_cpu,
                  "import_cpu_ms": (c1 - c0) * 1e3, "first_cpu_ms": (c2 - c1) * 1e3,
                  "modules": len(loaded)}}))
"""


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).count += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def run_child(tracing: str, env: dict[str, str], warm: bool, number: int, rounds: int) -> dict[str, Any]:
    code = CHILD.format(repo=str(REPO), tracing=tracing, warm=warm, number=number, rounds=rounds)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "AWS_XRAY", "_X_AMZN", "LAMBDA_", "POWERTOOLS_", "AWS_LAMBDA"))
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    quick = "--quick" in sys.argv
    runs, number, rounds = (3, 200, 3) if quick else (9, 500, 5)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    threading.Thread(target=lambda: [udp.recv(65536) for _ in iter(int, 1)], daemon=True).start()
    stacks = [
        ("tracing off (default outside a sampled Lambda)", "None", {}),
        (
            "OpenTelemetry, OTLP/HTTP to 127.0.0.1",
            "None",
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint},
        ),
        (
            "OpenTelemetry, X-Ray endpoint mode (SigV4-signed) to 127.0.0.1",
            "None",
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
                "PYPWEXT_OTEL_SIGV4": "xray",
                "AWS_REGION": "eu-west-1",
                "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "bench-secret",
            },
        ),
        (
            "X-Ray SDK (Powertools Tracer), UDP to 127.0.0.1",
            "True",
            {"AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{udp.getsockname()[1]}"},
        ),
    ]
    rows = []
    for label, tracing, env in stacks:
        colds = [run_child(tracing, env, False, number, rounds) for _ in range(runs)]
        warm = run_child(tracing, env, True, number, rounds)
        med = {key: statistics.median(c[key] for c in colds) for key in colds[0] if key.endswith("_ms")}
        rows.append((label, med, warm["warm_us"], warm["warm_cpu_us"], colds[0]["modules"]))
    server.shutdown()
    print(f"runs {runs}, warm {rounds} rounds x {number}; receiver got {_Sink.count} OTLP requests")
    print(
        "| stack | cold CPU ms: import + first invocation | extra cold CPU ms | cold wall ms "
        "| warm µs per invocation (wall) | extra warm µs | warm CPU µs | modules (OTel, X-Ray SDK, protobuf, botocore, requests) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    base = rows[0]
    base_cpu = base[1]["import_cpu_ms"] + base[1]["first_cpu_ms"]
    for label, med, warm_us, warm_cpu, modules in rows:
        cpu = med["import_cpu_ms"] + med["first_cpu_ms"]
        wall = med["import_ms"] + med["first_ms"]
        same = label == base[0]
        print(
            f"| {label} | {med['import_cpu_ms']:.0f} + {med['first_cpu_ms']:.0f} | "
            f"{'-' if same else f'+{cpu - base_cpu:.0f}'} | {wall:.0f} | {warm_us:.0f} | "
            f"{'-' if same else f'+{warm_us - base[2]:.0f}'} | {warm_cpu:.0f} | {modules} |"
        )


if __name__ == "__main__":
    main()
