"""CPU instructions per warm call, counted by valgrind: a measure that does not drift.

    .venv/bin/python benchmarks/instructions.py [--event rest|http] [--invalid] [--pypwext-root DIR] [STACK ...]

Wall time on a shared virtual machine moves by 10-20 % from run to run, which hides a change of a
few per cent. The number of instructions a call executes does not move: this script runs each
stack's handler on N and on N + 1000 events under ``valgrind --tool=callgrind`` and divides the
difference by 1000, after subtracting what decoding the events (``marshal.loads``, the same for
every stack) costs. Instructions are not time -- a system call (writing the log line) counts for
little, cache misses not at all -- so the benchmark's table stays the measure of the goals; this
one tells whether a change made a call do less work, and by how much.

Needs ``valgrind`` on PATH. Stacks default to ``bare_logger`` and ``pypwext_orders``; each runs in
its own virtual environment as in ``run.py``. Each count is the median of three measurements: about
one measurement in five comes out tens of thousands of instructions per call high, for a reason not
found yet. About 45 s per stack.

``--invalid`` counts the 400 path instead: each bad body of ``events.BAD_BODIES`` in turn (about
45 s per stack and body), one line per stack and body.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import run
from events import BAD_BODIES, GOOD_ORDER, http_event, rest_event

# The child: decode ``count`` events, then (unless ``decode-only``) answer each of them.
_CHILD = """
import marshal, sys
sys.path[0:0] = {path!r}
blob = open({blob!r}, "rb").read()
count = int(sys.argv[1])
events = [marshal.loads(blob) for _ in range(count)]
if sys.argv[2] != "decode-only":
    handler = __import__("stacks." + sys.argv[2], fromlist=["handler"]).handler

    class Context:
        function_name = "orders"
        function_version = "$LATEST"
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
        memory_limit_in_mb = 256
        aws_request_id = "00000000-0000-0000-0000-000000000000"
        log_group_name = "/aws/lambda/orders"
        log_stream_name = "2024/01/01/[$LATEST]0"

        def get_remaining_time_in_millis(self):
            return 30000

    context = Context()
    for event in events:
        handler(event, context)
"""

_COLLECTED = re.compile(r"Collected : (\d+)")
_BASE, _MORE = 300, 1300


def _instructions(python: Path, script: Path, count: int, stack: str, env: dict[str, str]) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            str(python),
            "-I",
            "-S",
            str(script),
            str(count),
            stack,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_call(
    stack: str, venv: str, event_kind: str, work: Path, children: run.Children, body: str | None = None
) -> float:
    """Instructions one warm call of ``stack`` executes on ``body`` (default: the good order),
    the events' decoding taken out."""
    import marshal

    make = rest_event if event_kind == "rest" else http_event
    blob = work / f"{event_kind}.marshal"
    blob.write_bytes(marshal.dumps(make(json.dumps(GOOD_ORDER) if body is None else body)))
    script = work / f"child_{venv}.py"
    script.write_text(_CHILD.format(path=children.paths[venv], blob=str(blob)))
    python = children.pythons[venv]
    env = {**children.env, "PYTHONDONTWRITEBYTECODE": "1"}
    total = _instructions(python, script, _MORE, stack, env) - _instructions(
        python, script, _BASE, stack, env
    )
    decoding = _instructions(python, script, _MORE, "decode-only", env) - _instructions(
        python, script, _BASE, "decode-only", env
    )
    return (total - decoding) / (_MORE - _BASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", default=["bare_logger", "pypwext_orders"])
    parser.add_argument("--event", choices=("rest", "http"), default="rest")
    parser.add_argument("--invalid", action="store_true", help="the 400 path: each bad body in turn")
    parser.add_argument(
        "--pypwext-root", type=Path, help="measure the pypwext and examples/ of this checkout"
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    if args.pypwext_root is not None:
        run.PYPWEXT_ROOT = args.pypwext_root.resolve()
    venvs = {key: venv for key, _, venv in run.STACKS}
    unknown = [s for s in args.stacks if s not in venvs]
    if unknown:
        raise SystemExit(f"unknown stacks {unknown}; known: {sorted(venvs)}")
    children = run.Children()
    bodies: dict[str, str | None] = (
        {name: text for name, (text, _) in BAD_BODIES.items()} if args.invalid else {"valid order": None}
    )
    with tempfile.TemporaryDirectory(prefix="pypwext-instructions-") as tmp:
        for name, body in bodies.items():
            counts = {
                s: statistics.median(
                    per_call(s, venvs[s], args.event, Path(tmp), children, body) for _ in range(3)
                )
                for s in args.stacks
            }
            first = counts[args.stacks[0]]
            for stack, count in counts.items():
                print(
                    f"{name:17s} {stack:16s} {count / 1000:8.1f} k instructions per call "
                    f"({count / first:.2f}x {args.stacks[0]})"
                )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
