"""Where one warm call of the example goes: instructions per call of each part, counted alone.

    .venv/bin/python benchmarks/parts.py [--body NAME] [--pypwext-root DIR] [PART ...]

Each part is one function of the call path, called on its own 1,000 times on the REST event of
``benchmarks/events.py`` (the good order, or ``--body``, one of ``events.BAD_BODIES``) after
the whole handler ran once, under ``valgrind --tool=callgrind --instr-atstart=no``: the count is
switched on around each part's loop only (curves.py's helper), less an empty loop's. The parts
overlap (``handler`` holds all of them, ``parse`` holds ``read_v1``, which holds ``headers``...):
they say where the instructions of ``handler`` go, not a sum. Parts, by default all:

* ``handler``: the whole warm call (``examples/orders/app.py``'s handler);
* ``parse``: ``parse_request`` (the event into a ``Request``), and inside it ``read_v1`` (the
  REST shape), ``single_map``/``multi_map`` (one header map), ``headers`` (``Headers`` of both),
  ``all_ascii`` (the surrogate check's fast test), ``body``, ``cookies``, ``request`` (the frozen
  ``Request`` built);
* ``observe``: the invocation's observation begun and ended (correlation id, log fields, secrets
  to mask, trace), and inside it ``new_secrets``;
* ``lifecycle``: ``_respond`` (structure, validate, execute, render, the answer written), and
  inside it ``structure_input`` (``json``: the body decoded; ``structure``: cattrs into the
  input type), ``render``, ``to_source``;
* ``summary``: the summary line written; ``error_response``: a 400's ``Response`` built.

Needs ``valgrind`` and ``cc``; about 20 s. The same numbers for another checkout:
``--pypwext-root DIR`` (a ``git worktree`` of another commit).
"""

from __future__ import annotations

import argparse
import json
import marshal
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = REPO / ".venv" / "bin" / "python"
PARTS = (
    "handler", "parse", "read_v1", "single_map", "multi_map", "headers", "all_ascii", "body",
    "cookies", "request", "observe", "new_secrets", "lifecycle", "structure_input", "json",
    "structure", "render", "to_source", "summary", "error_response",
)  # fmt: skip
_REPS = 1000


def child(root: str, lib: str, body_name: str, names: list[str]) -> None:
    """In the valgrind child: build each part's call, then count its loop."""
    sys.path[0:0] = [root, str(BENCH)]
    from curves import _Context, _Counter
    from events import BAD_BODIES, GOOD_ORDER, rest_event

    counter = _Counter(lib)
    event = rest_event(BAD_BODIES[body_name][0] if body_name else json.dumps(GOOD_ORDER))
    blob = marshal.dumps(event)
    sys.stdout = open(os.devnull, "w")  # the log lines (as run.py's children)  # noqa: SIM115

    import examples.orders.app as app
    from pypwext import BadRequest, codec
    from pypwext.observability.logging._remember import new_secrets
    from pypwext.runtime._http import http_input
    from pypwext.wire import _reading, _rest
    from pypwext.wire._events import EventSource, Headers, Request, parse_request
    from pypwext.wire._responses import to_source

    context = _Context()
    app.handler(marshal.loads(blob), context)
    singles = _reading.single_map(event, "headers")
    multis = _reading.multi_map(event, "multiValueHeaders")
    headers = Headers(singles, multis)
    query = _reading.single_map(event, "queryStringParameters")
    multi_query = _reading.multi_map(event, "multiValueQueryStringParameters")
    request = parse_request(event, context)
    svc = app.CreateOrder()
    spec = app.CreateOrder._pypwext_spec
    try:
        data = request.json()
    except BadRequest:
        data = None
    result = app.OrderCreated(1, 3)
    response = svc.render(result)
    problem = BadRequest("invalid request", details={"problems": [{"path": "id", "reason": "x"}]})

    def observe(e: Any) -> None:
        observed = spec.obs.start(e, context)
        observed.begin(request)
        observed.end(201)

    def quiet(call: Any) -> Any:
        def run(e: Any) -> None:
            try:
                call(e)
            except Exception:  # (a bad body's structuring raises: its cost is the part's)
                pass

        return run

    calls: dict[str, Any] = {
        "none": lambda e: None,
        "handler": lambda e: app.handler(e, context),
        "parse": lambda e: parse_request(e, context),
        "read_v1": lambda e: _rest.parse(e, e["requestContext"], Headers),
        "single_map": lambda e: _reading.single_map(e, "headers"),
        "multi_map": lambda e: _reading.multi_map(e, "multiValueHeaders"),
        "headers": lambda e: Headers(singles, multis),
        "all_ascii": lambda e: _reading.all_ascii(
            "POST", "/orders", (singles, query, {}), (multis, multi_query)
        ),
        "body": _reading.body,
        "cookies": lambda e: _reading.parse_cookies(headers.get_all("cookie")),
        "request": lambda e: Request(
            EventSource.API_GATEWAY_REST,
            "POST",
            "/orders",
            headers,
            query,
            multi_query,
            {},
            {},
            b"",
            e,
            context,
            "id",
            True,
            None,
        ),
        "observe": observe,
        "new_secrets": lambda e: new_secrets(request),
        "lifecycle": lambda e: svc._respond(request),
        "structure_input": quiet(lambda e: svc._structure_input(request)),
        "json": quiet(lambda e: request.json()),
        "http_input": quiet(lambda e: http_input(request, spec.input_fields)),
        "structure": quiet(lambda e: codec.structure(data, app.Order)),
        "render": lambda e: svc.render(result),
        "to_source": lambda e: to_source(response, request),
        "summary": lambda e: spec.obs.summary(request, 201, [], 0.0, None),
        "error_response": lambda e: svc._error_response(problem),
    }
    for name in ["none", *names]:
        call = calls[name]
        events = [marshal.loads(blob) for _ in range(_REPS)]
        call(events[0])
        with counter(name):
            for e in events:
                call(e)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5], sys.argv[5].split(","))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", default=list(PARTS))
    parser.add_argument("--body", default="", help="one of events.BAD_BODIES (default: the good order)")
    parser.add_argument("--pypwext-root", type=Path, default=REPO)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    from curves import _helper, dump_counts

    with tempfile.TemporaryDirectory(prefix="pypwext-parts-") as tmp:
        work = Path(tmp)
        lib = _helper(work)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYTHON"))}
        env.pop("LOG_LEVEL", None)
        env.update(AWS_REGION="eu-west-1", AWS_LAMBDA_FUNCTION_NAME="orders", PYTHONHASHSEED="0")
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={work}/cg.out",
                str(PYTHON),
                "-I",
                str(Path(__file__).resolve()),
                "--child",
                str(args.pypwext_root.resolve()),
                str(lib),
                args.body,
                ",".join(args.parts),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"parts failed:\n{done.stderr[-3000:]}")
        counts = dump_counts(work)
    empty = counts.pop("none") / _REPS
    print(f"instructions per call, {args.body or 'valid order'} (REST event), less an empty loop's:")
    for name in args.parts:
        if name in counts:
            print(f"  {name:16} {counts[name] / _REPS - empty:10,.0f}")


if __name__ == "__main__":
    main()
