"""pypwext on pydantic models beside pypwext on attrs and Powertools' validating resolver (issue 17).

Run from the repository root with the project's environment (Powertools and pydantic are in it)::

    .venv/bin/python benchmarks/pydantic_bench.py            # ~1 min
    .venv/bin/python benchmarks/pydantic_bench.py --quick

Same order service, same real API Gateway REST event (benchmarks/events.py), three stacks
(benchmarks/pydantic_stacks.py). **Warm**: µs per call in this process after a warm-up, the
stacks interleaved round by round, best round (timeit's rule), for a good body and for a bad
one (a 4xx). **Cold**: a fresh interpreter (``python -I``) per sample imports the stack and
answers one event; the median and the best of the samples, in ms (on a shared machine the best
is the least disturbed), and the modules the stack added. Every
stack's answers are checked before anything is timed. Log output goes to /dev/null.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for folder in (str(BENCH), str(REPO)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from events import GOOD_ANSWER, GOOD_ORDER, rest_event  # noqa: E402
from pydantic_stacks import STACKS  # noqa: E402

BAD_ORDER = {"id": 1, "description": "x", "items": [{"id": 1, "quantity": 0, "description": "y"}]}

_COLD = """
import json, sys, time
sys.path[0:0] = {path!r}
event = json.loads({event!r})
before = len(sys.modules)
t0 = time.perf_counter()
import pydantic_stacks
handler = pydantic_stacks.STACKS[{key!r}][1]()
t1 = time.perf_counter()
answer = handler(event, None)
t2 = time.perf_counter()
out = dict(import_ms=(t1 - t0) * 1e3, call_ms=(t2 - t1) * 1e3, modules=len(sys.modules) - before,
           status=answer["statusCode"])
sys.__stderr__.write("@@" + json.dumps(out) + "\\n")
"""


def check(handler: Callable[..., dict[str, Any]], good: dict[str, Any], bad: dict[str, Any]) -> None:
    answer = handler(good, None)
    assert answer["statusCode"] == 201 and json.loads(answer["body"]) == GOOD_ANSWER, answer
    refused = handler(bad, None)
    assert 400 <= refused["statusCode"] < 500, refused


def warm(
    handlers: dict[str, Callable[..., Any]], event: dict[str, Any], number: int, rounds: int
) -> dict[str, float]:
    for handler in handlers.values():
        for _ in range(max(50, number // 10)):
            handler(event, None)
    samples: dict[str, list[float]] = {key: [] for key in handlers}
    for _ in range(rounds):
        for key, handler in handlers.items():
            start = time.perf_counter()
            for _ in range(number):
                handler(event, None)
            samples[key].append((time.perf_counter() - start) / number * 1e6)
    return {key: min(values) for key, values in samples.items()}


def cold(key: str, event: dict[str, Any], samples: int) -> dict[str, float]:
    program = _COLD.format(path=[str(BENCH), str(REPO)], event=json.dumps(event), key=key)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYTHON"))}
    runs = []
    for _ in range(samples):
        done = subprocess.run(
            [sys.executable, "-I", "-c", program],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=REPO,
            timeout=120,
        )
        line = next(ln for ln in done.stderr.splitlines() if ln.startswith("@@"))
        runs.append(json.loads(line[2:]))
    assert all(r["status"] == 201 for r in runs), runs
    return {
        "import_ms": statistics.median(r["import_ms"] for r in runs),
        "first_call_ms": statistics.median(r["call_ms"] for r in runs),
        "cold_ms": statistics.median(r["import_ms"] + r["call_ms"] for r in runs),
        "cold_best_ms": min(r["import_ms"] + r["call_ms"] for r in runs),
        "modules": statistics.median(r["modules"] for r in runs),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    number, rounds, samples = (300, 5, 5) if quick else (2000, 9, 15)
    good, bad = rest_event(json.dumps(GOOD_ORDER)), rest_event(json.dumps(BAD_ORDER))
    real_stdout = sys.stdout
    with open(os.devnull, "w") as devnull:
        sys.stdout = devnull
        try:
            handlers = {key: make() for key, (_, make) in STACKS.items()}
            for handler in handlers.values():
                check(handler, good, bad)
            warm_good = warm(handlers, good, number, rounds)
            warm_bad = warm(handlers, bad, number, rounds)
        finally:
            sys.stdout = real_stdout
    colds = {key: cold(key, good, samples) for key in STACKS}
    rows = [
        "| stack | warm µs/call, valid body | warm µs/call, 4xx body | cold ms (import + first call), "
        "median / best | import ms (median) | modules added |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, (label, _) in STACKS.items():
        c = colds[key]
        rows.append(
            f"| {label} | {warm_good[key]:.1f} | {warm_bad[key]:.1f} | {c['cold_ms']:.1f} / {c['cold_best_ms']:.1f} "
            f"| {c['import_ms']:.1f} | {c['modules']:.0f} |"
        )
    print(
        f"Python {sys.version.split()[0]}; warm: best of {rounds} rounds of {number} calls; cold: median of {samples} fresh interpreters"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
