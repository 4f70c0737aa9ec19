"""How the cost of a call grows with its work: instructions per unit of work at 1x, 10x, 100x and
1,000x, pypwext beside the best peer for each (issue 18).

    .venv/bin/python benchmarks/curves.py [--quick] [--out PATH] [CURVE ...]

Curves (``CURVE`` names; all by default):

* ``routes``: N services behind one :class:`~pypwext.Api` (N = 1, 10, 100, 500), each
  ``GET /res<i>/{item_id}`` with a typed input (``item_id: int``), against Powertools'
  ``APIGatewayRestResolver(enable_validation=True)`` with N typed routes: instructions per call
  to the first and to the last route, and per route to define them (the module's code run, the
  ``Api`` or resolver built).
* ``batch``: an SQS batch of 10, 100, 1,000, 10,000 records (record ``i`` fails when
  ``i % 100 == 0``: 1 %, at least one), pypwext's ``SqsBatchService`` against Powertools'
  ``BatchProcessor`` with ``process_partial_response``: instructions per record; and batches of
  10 to 1,000 records that all fail (the cost of a failed record: pypwext writes its ERROR line
  with the traceback, Powertools' processor logs nothing).
* ``logs``: 1, 10, 100, 1,000 log lines per invocation, at INFO (``logger.info``) and at DEBUG
  (``logger.debug``, the level set to DEBUG), a pypwext service against a bare handler with
  Powertools' ``Logger``: instructions per line.
* ``body``: a valid order of 1 KB, 10 KB, 100 KB, 1 MB of items through a typed service (the
  example's types, without its quantity cap), at INFO and at DEBUG (which logs the input and the
  result), against Powertools' resolver with pydantic validation: instructions per KB.
* ``invalid``: a 400 for an order with 1, 10, 100, 1,000 bad items (a quantity ``"two"``), the
  same two stacks: instructions per bad item.

Method: each curve runs in one interpreter under ``valgrind --tool=callgrind
--instr-atstart=no``; a tiny C helper (compiled on first use with the system's ``cc`` and
valgrind's ``callgrind.h``) lets the child switch the count on around the measured calls only
(``CALLGRIND_START_INSTRUMENTATION``, ``CALLGRIND_ZERO_STATS``, ``CALLGRIND_DUMP_STATS_AT``), so
imports and building the events cost nothing. Each point is measured after one warm-up call;
events are copied before the count starts. Logs go to /dev/null. ``--quick`` leaves out the
largest point of each curve (a smoke run). Everything runs in the project's virtual environment
(Powertools and pydantic are installed there). Needs ``valgrind`` and ``cc``.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = REPO / ".venv" / "bin" / "python"
RESULTS = BENCH / "results"
ROOT: Path | None = None  # --pypwext-root
CURVES = ("routes", "batch", "logs", "body", "invalid")

_HELPER = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void cg_stop(const char *label) { CALLGRIND_DUMP_STATS_AT(label); CALLGRIND_STOP_INSTRUMENTATION; }
"""


# --- the child: runs under valgrind ----------------------------------------------------------


class _Context:
    function_name = "orders"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/orders"
    log_stream_name = "2024/01/01/[$LATEST]0"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


class _Counter:
    """Switches the instruction count on around one measured block (``with counter(label):``)."""

    def __init__(self, lib: str) -> None:
        import ctypes

        self.lib = ctypes.CDLL(lib)
        self.lib.cg_stop.argtypes = [ctypes.c_char_p]
        self.label = ""

    def __call__(self, label: str) -> "_Counter":
        self.label = label
        return self

    def __enter__(self) -> None:
        self.lib.cg_start()

    def __exit__(self, *exc: Any) -> None:
        self.lib.cg_stop(self.label.encode())


def _measure(counter: _Counter, series: str, scale: int, make: Any, call: Any, reps: int) -> None:
    """One warm-up call, then ``reps`` calls counted together (each on a fresh ``make()``)."""
    call(make())
    inputs = [make() for _ in range(reps)]
    with counter(f"{series}|{scale}|{reps}"):
        for item in inputs:
            call(item)


def _rest(method: str, path: str, body: str | None) -> dict[str, Any]:
    sys.path.insert(0, str(BENCH))
    from events import rest_event

    event = rest_event(body or "")
    event.update(path=path, httpMethod=method, resource=path, body=body)
    event["requestContext"].update(httpMethod=method, path=path, resourcePath=path)
    return event


def child_routes(counter: _Counter, scales: list[int]) -> None:
    import copy

    warming = True
    for n in [1, *scales]:  # the first, uncounted, pays the one-time costs (lazy imports, caches)
        ours = "\n".join(
            [
                "import attrs",
                "from pypwext import BaseService",
                "from pypwext.runtime._routes import Api",
                "@attrs.frozen",
                "class Item:",
                "    item_id: int",
            ]
            + [
                f"class S{i}(BaseService):\n    route = 'GET /res{i}/{{item_id}}'\n"
                f"    def execute(self, item: Item) -> dict:\n        return {{'id': item.item_id}}"
                for i in range(n)
            ]
            + ["api = Api(" + ", ".join(f"S{i}" for i in range(n)) + ")"]
        )
        theirs = "\n".join(
            [
                "from aws_lambda_powertools.event_handler import APIGatewayRestResolver",
                "app = APIGatewayRestResolver(enable_validation=True)",
            ]
            + [
                f"@app.get('/res{i}/<item_id>')\ndef r{i}(item_id: int) -> dict:\n    return {{'id': item_id}}"
                for i in range(n)
            ]
        )
        warm = warming
        warming = False
        for stack, source in (("pypwext", ours), ("powertools", theirs)):
            code = compile(source, f"<{stack}-{n}>", "exec")
            namespace: dict[str, Any] = {"__name__": f"routes_{stack}_{n}"}
            imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
            exec("\n".join(imports), {})  # the imports, uncounted
            if n == 1 and warm:
                exec(code, namespace)
                continue
            with counter(f"{stack} define|{n}|1"):
                exec(code, namespace)
            if stack == "pypwext":
                handler = namespace["api"].handler
            else:
                app = namespace["app"]

                def handler(event: Any, context: Any, app: Any = app) -> Any:
                    return app.resolve(event, context)

            for which, index in (("first", 0), ("last", n - 1)):
                event = _rest("GET", f"/res{index}/7", None)
                answer = handler(copy.deepcopy(event), _Context())
                assert answer["statusCode"] == 200, answer
                _measure(
                    counter,
                    f"{stack} to the {which}",
                    n,
                    lambda e=event: copy.deepcopy(e),
                    lambda e, h=handler: h(e, _Context()),
                    20,
                )


def child_batch(counter: _Counter, scales: list[int]) -> None:
    import json as _json
    import marshal

    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from pypwext import SqsBatchService
    from pypwext.testing import sqs_event

    class Orders(SqsBatchService):
        def process_record(self, order: dict) -> int:  # type: ignore[type-arg]
            if order["fail"]:
                raise ValueError("order refused")
            return int(order["id"])

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def record_handler(record: Any) -> int:
        order = _json.loads(record.body)
        if order["fail"]:
            raise ValueError("order refused")
        return int(order["id"])

    def powertools(event: Any) -> Any:
        return process_partial_response(event, record_handler, processor, _Context())

    stacks = (("pypwext", lambda e: Orders.handler(e, _Context())), ("powertools", powertools))
    for n in scales:
        blob = marshal.dumps(sqs_event([{"id": i, "fail": i % 100 == 0} for i in range(n)]))
        for stack, call in stacks:
            answer = call(marshal.loads(blob))
            assert len(answer["batchItemFailures"]) == (n + 99) // 100, answer
            _measure(counter, stack, n, lambda b=blob: marshal.loads(b), call, 1 if n >= 1000 else 5)
    for n in scales[:3]:  # every record failing: the cost of one failure (its ERROR line)
        blob = marshal.dumps(sqs_event([{"id": i, "fail": True} for i in range(n)]))
        for stack, call in stacks:
            _measure(counter, f"{stack}, all failing", n, lambda b=blob: marshal.loads(b), call, 1)


def child_logs(counter: _Counter, scales: list[int]) -> None:
    from aws_lambda_powertools import Logger

    from pypwext import BaseService, Request

    debug = os.environ.get("CURVE_LEVEL") == "DEBUG"
    level = "DEBUG" if debug else "INFO"

    class Chatty(BaseService):
        def execute(self, request: Request) -> dict:  # type: ignore[type-arg]
            write = self.logger.debug if debug else self.logger.info
            for i in range(request.json()["lines"]):
                write("working", step=i, of="lines")
            return {"ok": True}

    logger = Logger(service="orders", level=level)

    def bare(event: Any) -> Any:
        write = logger.debug if debug else logger.info
        for i in range(event["lines"]):
            write("working", extra={"step": i, "of": "lines"})
        return {"ok": True}

    for n in scales:
        stacks = (("pypwext", lambda e: Chatty.handler(e, _Context())), ("powertools", bare))
        for stack, call in stacks:
            _measure(counter, f"{stack} {level}", n, lambda n=n: {"lines": n}, call, 3 if n >= 100 else 10)


_ITEM = {"id": 12345, "quantity": 1, "description": "a widget of the usual kind"}
_ITEM_BYTES = len(json.dumps(_ITEM)) + 2  # with ", "


def _order(kb: int, bad: int = 0) -> str:
    items = [_ITEM] * max(1, (kb * 1024 - 60) // _ITEM_BYTES)
    if bad:
        items = [{"id": i, "quantity": "two", "description": "x"} for i in range(bad)]
    return json.dumps({"id": 1, "description": "an order", "items": items})


def _typed_stacks() -> list[tuple[str, Any]]:
    from typing import Any as _Any

    import attrs
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from pydantic import BaseModel

    from pypwext import BaseService

    @attrs.frozen
    class OrderItem:
        id: int
        quantity: int
        description: str

    @attrs.frozen
    class Order:
        id: int
        description: str
        items: list[OrderItem]

    class CreateOrder(BaseService):
        status = 201

        def execute(self, order: Order) -> dict[str, _Any]:
            return {"id": order.id, "items": len(order.items)}

    class PItem(BaseModel):
        id: int
        quantity: int
        description: str

    class POrder(BaseModel):
        id: int
        description: str
        items: list[PItem]

    app = APIGatewayRestResolver(enable_validation=True)

    @app.post("/orders")
    def create(order: POrder) -> tuple[dict[str, _Any], int]:
        return {"id": order.id, "items": len(order.items)}, 201

    return [
        ("pypwext", lambda e: CreateOrder.handler(e, _Context())),
        ("powertools", lambda e: app.resolve(e, _Context())),
    ]


def child_body(counter: _Counter, scales: list[int]) -> None:
    import copy

    level = os.environ.get("CURVE_LEVEL", "INFO")
    for stack, call in _typed_stacks():
        if level == "DEBUG" and stack != "pypwext":
            continue  # the peer logs nothing of a body at any level
        for kb in scales:
            event = _rest("POST", "/orders", _order(kb))
            answer = call(copy.deepcopy(event))
            assert answer["statusCode"] in (200, 201), answer
            _measure(
                counter, f"{stack} {level}", kb, lambda e=event: copy.deepcopy(e), call, 1 if kb >= 100 else 3
            )


def child_invalid(counter: _Counter, scales: list[int]) -> None:
    import copy

    for stack, call in _typed_stacks():
        for bad in scales:
            event = _rest("POST", "/orders", _order(1, bad=bad))
            answer = call(copy.deepcopy(event))
            assert 400 <= answer["statusCode"] < 500, answer
            _measure(counter, stack, bad, lambda e=event: copy.deepcopy(e), call, 1 if bad >= 100 else 3)


def child_main(curve: str, lib: str, scales: list[int]) -> None:
    sys.path.insert(0, os.environ.get("CURVES_PYPWEXT_ROOT") or str(REPO))
    counter = _Counter(lib)
    globals()[f"child_{curve}"](counter, scales)


# --- the parent ------------------------------------------------------------------------------

SCALES = {
    "routes": [1, 10, 100, 500],
    "batch": [10, 100, 1000, 10000],
    "logs": [1, 10, 100, 1000],
    "body": [1, 10, 100, 1000],
    "invalid": [1, 10, 100, 1000],
}
UNIT = {"routes": "call", "batch": "record", "logs": "line", "body": "KB", "invalid": "bad item"}


def _helper(work: Path) -> Path:
    lib = work / "cg.so"
    src = work / "cg.c"
    src.write_text(_HELPER)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


def run_curve(
    curve: str, scales: list[int], lib: Path, work: Path, level: str | None = None
) -> dict[str, int]:
    """{label|reps: instructions} of one curve, from its callgrind dumps."""
    out = work / f"{curve}-{level or 'x'}"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYTHON"))}
    env.pop("LOG_LEVEL", None)
    env.update(
        AWS_REGION="eu-west-1",
        AWS_LAMBDA_FUNCTION_NAME="orders",
        PYTHONDONTWRITEBYTECODE="1",
        POWERTOOLS_SERVICE_NAME="orders",
    )
    if ROOT is not None:
        env["CURVES_PYPWEXT_ROOT"] = str(ROOT)
    if level is not None:
        env.update(CURVE_LEVEL=level, POWERTOOLS_LOG_LEVEL=level)
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}/cg.out",
            str(PYTHON),
            "-I",
            str(Path(__file__).resolve()),
            "--child",
            curve,
            str(lib),
            ",".join(map(str, scales)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=work,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"curve {curve} failed:\n{done.stderr[-3000:]}")
    return dump_counts(out)


def dump_counts(folder: Path) -> dict[str, int]:
    """{label: instructions} of the callgrind dumps in ``folder`` (``cg.out*``), one per block
    a child counted (``with counter(label):``)."""
    counts: dict[str, int] = {}
    for file in folder.glob("cg.out*"):
        text = file.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if label and total:
            counts[label.group(1)] = int(total.group(1))
    return counts


def table(curve: str, counts: dict[str, int], scales: list[int]) -> tuple[list[str], dict[str, Any]]:
    """A markdown table: instructions per unit at each scale, per series, and the growth."""
    series: dict[str, dict[int, float]] = {}
    for key, total in counts.items():
        name, scale, reps = key.split("|")
        series.setdefault(name, {})[int(scale)] = total / int(reps)
    unit = UNIT[curve]
    lines = [
        f"| {curve}: instructions per {unit} | " + " | ".join(f"{s}" for s in scales) + " | growth |",
        "|---|" + "---|" * (len(scales) + 1),
    ]
    data: dict[str, Any] = {}
    for name in sorted(series):
        points = series[name]
        cells = []
        per_unit: dict[int, float] = {}
        for s in scales:
            if s not in points:
                cells.append("-")
                continue
            value = points[s]
            # per unit of work: a call is the unit of dispatch ("define" is per route)
            if curve != "routes" or name.endswith("define"):
                value = value / s
            per_unit[s] = value
            cells.append(f"{value / 1000:,.1f} k")
        data[name] = per_unit
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {growth(curve, name, per_unit)} |")
    return lines, data


def growth(curve: str, name: str, per_unit: dict[int, float]) -> str:
    """Linear when the cost per unit at the largest scale is within 1.5x of the smallest scale of
    10x and more (constant per call, for dispatch); else superlinear, with the factor."""
    scales = sorted(per_unit)
    if len(scales) < 2:
        return "-"
    base_scale = next((s for s in scales if s >= 10 * scales[0]), scales[1])
    ratio = per_unit[scales[-1]] / per_unit[base_scale]
    what = "constant per call" if curve == "routes" and not name.endswith("define") else "linear"
    if ratio <= 1.5:
        return f"{what} ({ratio:.2f}{chr(0xD7)} per unit, {base_scale} to {scales[-1]})"
    grows = "grows with routes" if curve == "routes" and not name.endswith("define") else "superlinear"
    return f"**{grows}** ({ratio:.2f}{chr(0xD7)} per unit, {base_scale} to {scales[-1]})"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3], [int(s) for s in sys.argv[4].split(",")])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("curves", nargs="*", default=list(CURVES), help=f"some of {', '.join(CURVES)}")
    parser.add_argument("--quick", action="store_true", help="leave out the largest point of each curve")
    parser.add_argument("--out", default=str(RESULTS / "curves"), help="results path without extension")
    parser.add_argument("--pypwext-root", type=Path, help="measure the pypwext of this checkout")
    args = parser.parse_args()
    global ROOT
    ROOT = args.pypwext_root.resolve() if args.pypwext_root else None
    for tool in ("valgrind", "cc"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    unknown = set(args.curves) - set(CURVES)
    if unknown:
        raise SystemExit(f"unknown curves {sorted(unknown)}; known: {', '.join(CURVES)}")
    lines = ["# pypwext cost curves (instructions, valgrind)", ""]
    data: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="pypwext-curves-") as tmp:
        work = Path(tmp)
        lib = _helper(work)
        for curve in args.curves:
            scales = SCALES[curve][:-1] if args.quick else SCALES[curve]
            levels: list[str | None] = ["INFO", "DEBUG"] if curve in ("logs", "body") else [None]
            counts: dict[str, int] = {}
            for level in levels:
                print(f"curve {curve} {level or ''}", file=sys.stderr, flush=True)
                counts.update(run_curve(curve, scales, lib, work, level))
            rows, data[curve] = table(curve, counts, scales)
            lines += [*rows, ""]
    text = "\n".join(lines)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
